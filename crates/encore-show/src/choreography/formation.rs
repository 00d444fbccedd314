//! Formations: where each idol stands in a section, and the walk there. Marks are assigned to
//! idols so the total of squared walking distances is smallest; with everyone walking in a
//! straight line at the same pace, such an assignment never makes two paths cross (the
//! CAPT result of Turpin, Michael and Kumar), so idols keep their distance.

use glam::Vec2;

use crate::setlist::{ItemKind, Setlist, raw::Formation};

/// Beats a formation change takes, from the start of its section.
pub const TRANSITION_BEATS: f64 = 4.0;

/// The marks of `formation` for `count` idols, in metres `(x, z)` from the stage centre.
/// For [`Formation::CenterSolo`] the soloist's mark comes first.
pub fn slots(formation: &Formation, count: usize) -> Vec<Vec2> {
    let spaced = |count: usize, spacing: f32| {
        let spacing = spacing.min(10.0 / count.max(1) as f32);
        (0..count)
            .map(move |index| (index as f32 - (count as f32 - 1.0) / 2.0) * spacing)
            .collect::<Vec<f32>>()
    };
    match formation {
        Formation::Line => spaced(count, 1.6)
            .into_iter()
            .map(|x| Vec2::new(x, 0.6))
            .collect(),
        Formation::V => spaced(count, 1.5)
            .into_iter()
            .map(|x| Vec2::new(x, 1.4 - 0.35 * x.abs()))
            .collect(),
        Formation::InvertedV => spaced(count, 1.5)
            .into_iter()
            .map(|x| Vec2::new(x, 0.0 + 0.35 * x.abs()))
            .collect(),
        Formation::Diamond if count >= 4 => {
            let mut marks = vec![
                Vec2::new(0.0, 1.8),
                Vec2::new(-1.6, 0.5),
                Vec2::new(1.6, 0.5),
                Vec2::new(0.0, -0.8),
            ];
            if count >= 5 {
                marks.push(Vec2::new(0.0, 0.5));
            }
            // Larger casts: more points around a wider diamond.
            for extra in 0..count.saturating_sub(5) {
                let angle = std::f32::consts::TAU * (extra as f32 + 0.5) / (count - 5) as f32;
                let (sin, cos) = angle.sin_cos();
                let scale = 3.2 / (sin.abs() + cos.abs());
                marks.push(Vec2::new(cos * scale, 0.5 + sin * scale));
            }
            marks
        }
        Formation::Diamond => slots(&Formation::V, count),
        Formation::TwoRows => {
            let front = count.div_ceil(2);
            let mut marks: Vec<Vec2> = spaced(front, 1.8)
                .into_iter()
                .map(|x| Vec2::new(x, 1.3))
                .collect();
            marks.extend(
                spaced(count - front, 1.8)
                    .into_iter()
                    .map(|x| Vec2::new(x, -0.3)),
            );
            marks
        }
        Formation::Circle => {
            let radius = (0.7 / (std::f32::consts::PI / count.max(2) as f32).sin()).max(1.4);
            (0..count)
                .map(|index| {
                    let angle = std::f32::consts::FRAC_PI_2
                        + std::f32::consts::TAU * index as f32 / count as f32;
                    Vec2::new(angle.cos() * radius, 0.4 + angle.sin() * radius)
                })
                .collect()
        }
        Formation::CenterSolo(_) => {
            let mut marks = vec![Vec2::new(0.0, 1.9)];
            marks.extend(
                spaced(count.saturating_sub(1), 1.6)
                    .into_iter()
                    .map(|x| Vec2::new(x, -0.3)),
            );
            marks
        }
    }
}

/// For each idol (at `from`), the index of her mark in `to`, keeping total squared distance
/// smallest. Exact for up to 8 idols; larger casts use a greedy match.
pub fn assign(from: &[Vec2], to: &[Vec2], fixed: Option<(usize, usize)>) -> Vec<usize> {
    let count = from.len().min(to.len());
    let fixed = fixed.filter(|&(idol, mark)| idol < count && mark < count);
    if count > 8 {
        let mut order = greedy(from, to, count);
        if let Some((idol, mark)) = fixed
            && let Some(holder) = order.iter().position(|&taken| taken == mark)
        {
            order.swap(idol, holder);
        }
        return order;
    }
    // Total squared distance, plus a large penalty for every two walks that come closer than
    // `PERSONAL_SPACE` (which a fixed soloist can otherwise cause).
    let cost = |order: &[usize]| -> f32 {
        let mut total: f32 = order
            .iter()
            .enumerate()
            .map(|(idol, &mark)| from[idol].distance_squared(to[mark]))
            .sum();
        // The soloist walks around the front of the others (see `FormationPlan::new`).
        let walks_around = |idol: usize| fixed.is_some_and(|(soloist, _)| soloist == idol);
        for a in (0..order.len()).filter(|&a| !walks_around(a)) {
            for b in (a + 1..order.len()).filter(|&b| !walks_around(b)) {
                let gap = closest_approach(from[a], to[order[a]], from[b], to[order[b]]);
                if gap < PERSONAL_SPACE {
                    total += 1000.0 * (PERSONAL_SPACE - gap);
                }
            }
        }
        total
    };
    let allowed = |order: &[usize]| fixed.is_none_or(|(idol, mark)| order[idol] == mark);
    let mut best: Option<(f32, Vec<usize>)> = None;
    let mut order: Vec<usize> = (0..count).collect();
    permute(&mut order, 0, &mut |order| {
        if allowed(order) {
            let total = cost(order);
            if best
                .as_ref()
                .is_none_or(|(best_cost, _)| total < best_cost - 1e-6)
            {
                best = Some((total, order.to_vec()));
            }
        }
    });
    best.map_or_else(|| (0..count).collect(), |(_, order)| order)
}

/// Distance two idols keep between them while walking.
const PERSONAL_SPACE: f32 = 1.0;

/// The closest two idols come when walking in straight lines at the same pace, from `a0` to
/// `a1` and from `b0` to `b1`.
pub fn closest_approach(a0: Vec2, a1: Vec2, b0: Vec2, b1: Vec2) -> f32 {
    let start = a0 - b0;
    let change = (a1 - a0) - (b1 - b0);
    let speed = change.length_squared();
    let t = if speed > 1e-9 {
        (-start.dot(change) / speed).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (start + change * t).length()
}

/// The closest remaining pairs first: for casts too large to search every assignment.
fn greedy(from: &[Vec2], to: &[Vec2], count: usize) -> Vec<usize> {
    let mut pairs: Vec<(f32, usize, usize)> = Vec::with_capacity(count * count);
    for (idol, position) in from.iter().enumerate().take(count) {
        for (mark, target) in to.iter().enumerate().take(count) {
            pairs.push((position.distance_squared(*target), idol, mark));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut taken_idol = vec![false; count];
    let mut taken_mark = vec![false; count];
    let mut order = vec![0; count];
    for (_, idol, mark) in pairs {
        if !taken_idol[idol] && !taken_mark[mark] {
            taken_idol[idol] = true;
            taken_mark[mark] = true;
            order[idol] = mark;
        }
    }
    order
}

fn permute(order: &mut [usize], from: usize, visit: &mut impl FnMut(&[usize])) {
    if from == order.len() {
        visit(order);
        return;
    }
    for index in from..order.len() {
        order.swap(from, index);
        permute(order, from + 1, visit);
        order.swap(from, index);
    }
}

/// One walk of the whole cast: from some marks to others over a span of concert time.
#[derive(Debug, Clone, PartialEq)]
pub struct Walk {
    /// Concert seconds when it starts.
    pub start: f64,
    /// Concert seconds when everyone has arrived.
    pub end: f64,
    /// Marks at the start, per idol.
    pub from: Vec<Vec2>,
    /// Marks at the end, per idol.
    pub to: Vec<Vec2>,
    /// An idol who walks around the front of the others instead of straight (a soloist).
    pub around: Option<usize>,
}

/// How far in front of everyone a soloist passes, metres.
const FRONT_PATH_MARGIN: f32 = 1.0;

/// A point `t` of the way (by distance) along a path through `points`.
fn along(points: &[Vec2], t: f32) -> Vec2 {
    let lengths: Vec<f32> = points
        .windows(2)
        .map(|pair| pair[0].distance(pair[1]))
        .collect();
    let total: f32 = lengths.iter().sum();
    let mut left = t.clamp(0.0, 1.0) * total;
    for (pair, length) in points.windows(2).zip(&lengths) {
        if left <= *length && *length > 0.0 {
            return pair[0].lerp(pair[1], left / length);
        }
        left -= length;
    }
    points.last().copied().unwrap_or_default()
}

/// Every walk of the show, in time order; computed once per setlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormationPlan {
    homes: Vec<Vec2>,
    walks: Vec<Walk>,
}

impl FormationPlan {
    /// Plans the formations of `setlist`.
    pub fn new(setlist: &Setlist) -> Self {
        let homes: Vec<Vec2> = setlist.cast.iter().map(|idol| idol.home).collect();
        let count = homes.len();
        let mut marks = homes.clone();
        let mut walks = Vec::new();
        for item in &setlist.items {
            // Talk, breaks and the encore call keep the last formation.
            if item.kind != ItemKind::Song {
                continue;
            }
            for section in &item.sections {
                let Some(formation) = &section.formation else {
                    continue;
                };
                let targets = slots(formation, count);
                let fixed = match formation {
                    Formation::CenterSolo(id) => setlist.idol(id).map(|(index, _)| (index, 0)),
                    _ => None,
                };
                let order = assign(&marks, &targets, fixed);
                let to: Vec<Vec2> = order.iter().map(|&mark| targets[mark]).collect();
                let around = fixed.map(|(soloist, _)| soloist);
                let seconds = TRANSITION_BEATS * item.grid.seconds_per_beat();
                walks.push(Walk {
                    start: section.start,
                    end: section.start + seconds.min(section.end - section.start),
                    from: marks.clone(),
                    to: to.clone(),
                    around,
                });
                marks = to;
            }
        }
        Self { homes, walks }
    }

    /// Where idol `index` is at `seconds`, and how much she is walking (0 standing, 1 in
    /// full stride; it rises and falls smoothly over the walk).
    pub fn mark_at(&self, index: usize, seconds: f64) -> (Vec2, f32) {
        let home = self.homes.get(index).copied().unwrap_or_default();
        let done = self.walks.partition_point(|walk| walk.start <= seconds);
        let Some(walk) = done.checked_sub(1).map(|last| &self.walks[last]) else {
            return (home, 0.0);
        };
        let (Some(from), Some(to)) = (walk.from.get(index), walk.to.get(index)) else {
            return (home, 0.0);
        };
        let span = (walk.end - walk.start).max(1e-6);
        let t = ((seconds - walk.start) / span).clamp(0.0, 1.0) as f32;
        let eased = t * t * (3.0 - 2.0 * t);
        if walk.around == Some(index) {
            // Out to the front, across in front of everyone, and in to the mark.
            let front = walk
                .from
                .iter()
                .chain(&walk.to)
                .map(|mark| mark.y)
                .fold(f32::MIN, f32::max)
                + FRONT_PATH_MARGIN;
            let path = [*from, Vec2::new(from.x, front), Vec2::new(to.x, front), *to];
            return (along(&path, eased), (std::f32::consts::PI * t).sin());
        }
        let stride = if from.distance(*to) > 0.05 {
            (std::f32::consts::PI * t).sin()
        } else {
            0.0
        };
        (from.lerp(*to, eased), stride)
    }

    /// Every walk, for tests and tools.
    pub fn walks(&self) -> &[Walk] {
        &self.walks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_keep_idols_apart() {
        let setlist = Setlist::built_in();
        let plan = FormationPlan::new(&setlist);
        assert!(plan.walks().len() >= 10, "the demo changes formation often");
        let mut closest = f32::MAX;
        let mut when = 0.0;
        let mut seconds = 0.0;
        while seconds < setlist.duration() {
            let marks: Vec<Vec2> = (0..setlist.cast.len())
                .map(|index| plan.mark_at(index, seconds).0)
                .collect();
            for a in 0..marks.len() {
                for b in a + 1..marks.len() {
                    let gap = marks[a].distance(marks[b]);
                    if gap < closest {
                        closest = gap;
                        when = seconds;
                    }
                }
            }
            seconds += 1.0 / 30.0;
        }
        assert!(
            closest > 0.7,
            "two idols came within {closest:.2} m at {when:.2} s"
        );
    }

    #[test]
    fn the_soloist_takes_the_front_mark() {
        let marks = slots(&Formation::CenterSolo("mira".into()), 5);
        let from: Vec<Vec2> = slots(&Formation::Line, 5);
        let order = assign(&from, &marks, Some((2, 0)));
        assert_eq!(order[2], 0);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3, 4], "every mark is used once");
    }

    #[test]
    fn every_formation_spaces_its_marks() {
        for formation in [
            Formation::Line,
            Formation::V,
            Formation::InvertedV,
            Formation::Diamond,
            Formation::TwoRows,
            Formation::Circle,
            Formation::CenterSolo("a".into()),
        ] {
            for count in [1, 2, 5, 9, 12] {
                let marks = slots(&formation, count);
                assert_eq!(marks.len(), count, "{formation:?}");
                for a in 0..count {
                    assert!(marks[a].length() < 6.5, "{formation:?} off stage");
                    for b in a + 1..count {
                        let gap = marks[a].distance(marks[b]);
                        assert!(gap >= 0.8, "{formation:?} x{count}: {gap:.2} m");
                    }
                }
            }
        }
    }
}
