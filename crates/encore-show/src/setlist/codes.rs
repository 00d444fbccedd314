//! The two codes in a song's credits, read the way people copy them (with or without hyphens
//! and dots, any case) and written back in their standard form: the ISRC of a recording
//! (ISO 3901) and the ISWC of a musical work (ISO 15707). A society matches a cue sheet by
//! these codes, so a typo is caught here, with the ISWC's check digit, rather than there.

/// Why a written ISRC is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsrcError {
    /// A character that is neither a letter, a digit, a hyphen nor a space.
    #[error("`{written}` holds `{found}`; an ISRC is letters and digits, CC-XXX-YY-NNNNN")]
    Character {
        /// As written.
        written: String,
        /// The first character out of place.
        found: char,
    },
    /// Not twelve letters and digits.
    #[error("`{written}` has {count} letters and digits; an ISRC has 12, CC-XXX-YY-NNNNN")]
    Length {
        /// As written.
        written: String,
        /// Letters and digits in it.
        count: usize,
    },
    /// One of the four parts is not made of what it must be.
    #[error("in the ISRC `{written}`, the {part} `{found}` must be {rule}")]
    Part {
        /// As written.
        written: String,
        /// Which part: "country code", "registrant code", "year", "designation code".
        part: &'static str,
        /// What the part holds.
        found: String,
        /// What it must hold.
        rule: &'static str,
    },
}

impl IsrcError {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            Self::Character { .. } | Self::Length { .. } => {
                "copy the ISRC from the recording's label copy, e.g. \"JP-K01-23-45678\": \
                 country, registrant, year of registration, designation"
                    .to_owned()
            }
            Self::Part { part, .. } => format!(
                "an ISRC is a 2-letter country code, a 3-character registrant code, a 2-digit \
                 year and a 5-digit designation code; check the {part}"
            ),
        }
    }
}

/// One of the four parts of an ISRC's twelve characters.
struct IsrcPart {
    /// Where it sits.
    at: std::ops::Range<usize>,
    /// What it is called.
    name: &'static str,
    /// What it holds, in words.
    rule: &'static str,
    /// What it holds.
    allowed: fn(&char) -> bool,
}

/// Country, registrant, year of registration, designation.
const ISRC_PARTS: [IsrcPart; 4] = [
    IsrcPart {
        at: 0..2,
        name: "country code",
        rule: "two letters",
        allowed: char::is_ascii_alphabetic,
    },
    IsrcPart {
        at: 2..5,
        name: "registrant code",
        rule: "three letters or digits",
        allowed: char::is_ascii_alphanumeric,
    },
    IsrcPart {
        at: 5..7,
        name: "year",
        rule: "two digits",
        allowed: char::is_ascii_digit,
    },
    IsrcPart {
        at: 7..12,
        name: "designation code",
        rule: "five digits",
        allowed: char::is_ascii_digit,
    },
];

/// Reads an ISRC written with or without hyphens (or spaces), in any case; returns it as
/// `CC-XXX-YY-NNNNN`.
pub fn isrc(written: &str) -> Result<String, IsrcError> {
    let mut code = String::with_capacity(12);
    for character in written.trim().chars() {
        match character {
            '-' | ' ' => {}
            c if c.is_ascii_alphanumeric() => code.push(c.to_ascii_uppercase()),
            found => {
                return Err(IsrcError::Character {
                    written: written.to_owned(),
                    found,
                });
            }
        }
    }
    if code.len() != 12 {
        return Err(IsrcError::Length {
            written: written.to_owned(),
            count: code.len(),
        });
    }
    for part in ISRC_PARTS {
        // Only ASCII is left, so byte ranges cut on characters.
        let found = &code[part.at];
        if !found.chars().all(|c| (part.allowed)(&c)) {
            return Err(IsrcError::Part {
                written: written.to_owned(),
                part: part.name,
                found: found.to_owned(),
                rule: part.rule,
            });
        }
    }
    Ok(ISRC_PARTS.map(|part| &code[part.at]).join("-"))
}

/// Why a written ISWC is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IswcError {
    /// It does not begin with the letter T.
    #[error("`{written}` does not start with `T`; an ISWC is T-123.456.789-C")]
    Prefix {
        /// As written.
        written: String,
    },
    /// A character that is neither a digit, a dot, a hyphen nor a space after the T.
    #[error("`{written}` holds `{found}`; after the `T` an ISWC is digits, T-123.456.789-C")]
    Character {
        /// As written.
        written: String,
        /// The first character out of place.
        found: char,
    },
    /// Not nine digits and a check digit.
    #[error(
        "`{written}` has {count} digits; an ISWC has ten, nine and a check digit: T-123.456.789-C"
    )]
    Length {
        /// As written.
        written: String,
        /// Digits after the T.
        count: usize,
    },
    /// Nine digits without the check digit.
    #[error("`{written}` lacks its check digit, which for these nine digits is {expected}")]
    MissingCheck {
        /// As written.
        written: String,
        /// The check digit the nine digits make.
        expected: u8,
        /// The code with it, `T-123.456.789-C`.
        corrected: String,
    },
    /// The check digit does not match the nine digits: a typo somewhere in the code.
    #[error(
        "the ISWC `{written}` ends in the check digit {found}, but its nine digits make {expected}"
    )]
    CheckDigit {
        /// As written.
        written: String,
        /// The check digit written.
        found: u8,
        /// The check digit the nine digits make.
        expected: u8,
        /// The code with that check digit, `T-123.456.789-C`.
        corrected: String,
    },
}

impl IswcError {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            Self::MissingCheck { corrected, .. } => format!("write `{corrected}`"),
            Self::CheckDigit { corrected, .. } => format!(
                "a digit was probably mistyped: copy the ISWC again from the work's \
                 registration; if the nine digits are right, the code is `{corrected}`"
            ),
            Self::Prefix { .. } | Self::Character { .. } | Self::Length { .. } => {
                "copy the ISWC from the work's registration with its society, e.g. \
                 \"T-034.524.680-1\""
                    .to_owned()
            }
        }
    }
}

/// The check digit of an ISWC's nine digits: 1 plus each digit times its place (1 to 9),
/// and the step from that sum up to the next multiple of ten.
pub fn iswc_check_digit(digits: [u8; 9]) -> u8 {
    let sum = 1 + digits
        .iter()
        .zip(1..)
        .map(|(digit, place)| u32::from(*digit) * place)
        .sum::<u32>();
    ((10 - sum % 10) % 10) as u8
}

/// Reads an ISWC written `T-123.456.789-C`, `T1234567890` or anything between (dots, hyphens
/// and spaces are skipped, the `t` may be small) and checks its check digit; returns it as
/// `T-123.456.789-C`.
pub fn iswc(written: &str) -> Result<String, IswcError> {
    let trimmed = written.trim();
    let Some(rest) = trimmed
        .strip_prefix('T')
        .or_else(|| trimmed.strip_prefix('t'))
    else {
        return Err(IswcError::Prefix {
            written: written.to_owned(),
        });
    };
    let mut digits = Vec::with_capacity(10);
    for character in rest.chars() {
        match character {
            '-' | '.' | ' ' => {}
            c if c.is_ascii_digit() => digits.push(c as u8 - b'0'),
            found => {
                return Err(IswcError::Character {
                    written: written.to_owned(),
                    found,
                });
            }
        }
    }
    let nine = |digits: &[u8]| {
        let mut nine = [0; 9];
        nine.copy_from_slice(&digits[..9]);
        nine
    };
    // Only ever called with nine digits or more (the two arms below).
    let dotted = |digits: &[u8], check: u8| {
        let text: String = digits[..9]
            .iter()
            .map(|digit| char::from(b'0' + digit))
            .collect();
        format!("T-{}.{}.{}-{check}", &text[..3], &text[3..6], &text[6..])
    };
    // Nine digits with a one-digit last group (`T-034.524.68-1`) lost a digit inside;
    // otherwise the check digit is what is missing.
    let check_group = rest.contains(['-', '.', ' '])
        && rest
            .trim_end()
            .rsplit(['-', '.', ' '])
            .next()
            .is_some_and(|last| last.len() == 1);
    match digits.len() {
        9 if !check_group => {
            let expected = iswc_check_digit(nine(&digits));
            Err(IswcError::MissingCheck {
                written: written.to_owned(),
                expected,
                corrected: dotted(&digits, expected),
            })
        }
        10 => {
            let expected = iswc_check_digit(nine(&digits));
            let found = digits[9];
            if found != expected {
                return Err(IswcError::CheckDigit {
                    written: written.to_owned(),
                    found,
                    expected,
                    corrected: dotted(&digits, expected),
                });
            }
            Ok(dotted(&digits, found))
        }
        count => Err(IswcError::Length {
            written: written.to_owned(),
            count,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_isrc_is_read_with_or_without_hyphens_and_written_with_them() {
        assert_eq!(isrc("JP-K01-23-45678").as_deref(), Ok("JP-K01-23-45678"));
        assert_eq!(isrc("jpk012345678").as_deref(), Ok("JP-K01-23-45678"));
        assert_eq!(isrc(" US RC1 76 07839 ").as_deref(), Ok("US-RC1-76-07839"));
    }

    #[test]
    fn a_wrong_isrc_says_which_part_is_wrong() {
        assert_eq!(
            isrc("JP-K01-23-4567"),
            Err(IsrcError::Length {
                written: "JP-K01-23-4567".into(),
                count: 11
            })
        );
        let error = isrc("J1-K01-23-45678").expect_err("the country code has a digit");
        assert_eq!(
            error.to_string(),
            "in the ISRC `J1-K01-23-45678`, the country code `J1` must be two letters"
        );
        let error = isrc("JP-K01-2X-45678").expect_err("the year has a letter");
        assert!(
            error
                .to_string()
                .contains("the year `2X` must be two digits")
        );
        let error = isrc("JP-K01-23-4567A").expect_err("the designation has a letter");
        assert!(error.to_string().contains("designation code `4567A`"));
        let error = isrc("JP_K01_23_45678").expect_err("underscores");
        assert!(matches!(error, IsrcError::Character { found: '_', .. }));
    }

    #[test]
    fn an_iswc_is_checked_by_its_check_digit_and_written_in_the_dotted_form() {
        // A published example: 1 + 0·1 + 3·2 + 4·3 + 5·4 + 2·5 + 4·6 + 6·7 + 8·8 + 0·9 = 179.
        assert_eq!(iswc_check_digit([0, 3, 4, 5, 2, 4, 6, 8, 0]), 1);
        for written in [
            "T-034.524.680-1",
            "T0345246801",
            "t-034524680-1",
            "T 034 524 680 1",
        ] {
            assert_eq!(iswc(written).as_deref(), Ok("T-034.524.680-1"), "{written}");
        }
    }

    #[test]
    fn a_wrong_iswc_check_digit_names_the_expected_one() {
        let error = iswc("T-034.524.680-2").expect_err("the check digit is 1");
        assert_eq!(
            error,
            IswcError::CheckDigit {
                written: "T-034.524.680-2".into(),
                found: 2,
                expected: 1,
                corrected: "T-034.524.680-1".into(),
            }
        );
        assert_eq!(
            error.to_string(),
            "the ISWC `T-034.524.680-2` ends in the check digit 2, but its nine digits make 1"
        );
        // A swapped pair of digits changes the sum too.
        assert!(matches!(
            iswc("T-034.254.680-1"),
            Err(IswcError::CheckDigit { expected: 8, .. })
        ));
        let error = iswc("T-034.524.680").expect_err("no check digit");
        assert_eq!(error.hint(), "write `T-034.524.680-1`");
        assert!(matches!(
            iswc("034.524.680-1"),
            Err(IswcError::Prefix { .. })
        ));
        assert!(matches!(
            iswc("T-034.524.68-1"),
            Err(IswcError::Length { count: 9, .. })
        ));
        assert!(matches!(
            iswc("T034524680"),
            Err(IswcError::MissingCheck { expected: 1, .. })
        ));
        assert!(matches!(
            iswc("T-034.524.6800-1"),
            Err(IswcError::Length { count: 11, .. })
        ));
        assert!(matches!(
            iswc("T-034.524.68O-1"),
            Err(IswcError::Character { found: 'O', .. })
        ));
    }
}
