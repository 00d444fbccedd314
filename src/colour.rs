//! The show's colours ([`Srgb`], parsed once when a setlist is checked) as the engine's.

use bevy::prelude::*;
pub use encore_show::colour::{Linear, Srgb};

/// [`Srgb`] as Bevy's colour.
pub trait ShowColour {
    /// As a Bevy colour (the same `f32`s `Color::srgb_u8` would store).
    fn color(self) -> Color;
}

/// [`Linear`] as Bevy's linear colour (the same four channels).
pub trait ShowLinear {
    fn to_bevy(self) -> LinearRgba;
}

impl ShowLinear for Linear {
    fn to_bevy(self) -> LinearRgba {
        LinearRgba::new(self.red, self.green, self.blue, self.alpha)
    }
}

impl ShowColour for Srgb {
    fn color(self) -> Color {
        Color::Srgba(Srgba::new(self.red, self.green, self.blue, 1.0))
    }
}
