//! The show this frame: one system works out everything the picture needs at the clock's
//! instant (every idol's pose, mark, face and body, the director's lens) as a
//! [`ShowFrame`](encore_show::frame::ShowFrame), after the clock and before anything draws.
//! The idols' posing, the camera, the stage's follow spots and the look-at all read it, so
//! each idol's forward kinematics runs once a frame and they all agree.

use bevy::prelude::*;
pub use encore_show::frame::{ShowFrame, ShowPlans};

use crate::{AppSystems, clock::ConcertClock, setlist::ShowSetlist};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Plans>();
    app.init_resource::<Now>();
    app.init_resource::<Viewpoint>();
    app.add_systems(
        Update,
        (plan_show, compute_frame).chain().in_set(AppSystems::Frame),
    );
}

/// Where the show camera is this frame, as the idols see it: set by the camera after it
/// moves, read by the look-at.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub enum Viewpoint {
    /// No show camera (yet).
    #[default]
    None,
    /// The director's camera (cut or fancam blends included), at this eye position: the
    /// idols the shot is on turn to it.
    Director(Vec3),
    /// The viewer's free camera or a fancam: nobody turns to it.
    Other(Vec3),
}

impl Viewpoint {
    /// The camera's position, if there is a show camera.
    pub fn eye(&self) -> Option<Vec3> {
        match *self {
            Self::None => None,
            Self::Director(eye) | Self::Other(eye) => Some(eye),
        }
    }
}

/// The playing setlist's plans: the formations and the director's shots.
#[derive(Resource, Debug, Clone, Default, Deref)]
pub struct Plans(pub ShowPlans);

/// The show at the clock's instant, computed once a frame.
#[derive(Resource, Debug, Clone, Default, Deref)]
pub struct Now(pub ShowFrame);

fn plan_show(setlist: Res<ShowSetlist>, mut plans: ResMut<Plans>) {
    if setlist.is_changed() {
        plans.0 = ShowPlans::new(&setlist);
    }
}

fn compute_frame(
    setlist: Res<ShowSetlist>,
    plans: Res<Plans>,
    clock: Res<ConcertClock>,
    mut now: ResMut<Now>,
) {
    now.0 = ShowFrame::at(&setlist, &plans, &clock);
}
