//! MikuMikuDance physics for PMX models (hair, skirts, cloaks, ribbons), as a pure function of
//! concert time: the same bone transforms for a given time whatever was asked before (seeks,
//! recording in chunks, a window that drops frames), so a recording equals a live pass.
//!
//! # Time
//!
//! The state is stepped on a fixed grid of [`STEP`] (1/60 s) of concert time from the last
//! *checkpoint* at or before the time asked: the concert times the caller says the state may
//! restart (camera cuts), and every [`MAX_SPAN`] seconds after the last of them (so a seek
//! costs at most [`MAX_SPAN`] of steps). At a checkpoint the bodies are placed where the
//! animated pose puts them, at rest, and then [`PREROLL_STEPS`] steps are run holding that
//! pose, so the hair hangs before the first frame. Asked for a later time in the same span, the
//! state steps on from where it is (two steps a frame at 30 fps); asked for anything else, it
//! is rebuilt from the checkpoint. Each step takes the same inputs either way (the animated
//! pose at the step's grid time, from the caller's `pose_at`), and rapier's
//! `enhanced-determinism` keeps the arithmetic the same, so the results agree bit for bit.
//! A time between two grid points is shown from the state at the earlier one, moved along
//! with its nearest animated ancestor bone (the head for hair) from that grid time to the
//! time asked, so a frame never lags its dance.
//!
//! # MMD → rapier
//!
//! Everything is in encore's axes (PMX numbers with Z negated, see
//! [`to_encore`]) and MMD units (about 8 cm).
//!
//! - **Shapes**: a sphere's radius is `size[0]`; a box's half extents are `size`; a capsule's
//!   radius is `size[0]` and its cylinder's height `size[1]`, along the body's local Y.
//! - **Placement**: positions through `to_encore`; rotations are MMD's Euler angles applied as
//!   `Ry · Rx · Rz` in MMD's axes, then mirrored across Z (quaternion `(x, y, z, w)` →
//!   `(-x, -y, z, w)`). Each body keeps its rest offset from its bone,
//!   `bone_rest⁻¹ · body_rest` (a PMX bone has no rest rotation, so `bone_rest` is a
//!   translation).
//! - **Modes**: *follow bone* bodies are kinematic (position-based), moved each step to their
//!   bone's animated world transform times the offset. *Physics* bodies are dynamic and set
//!   their bone (`body · offset⁻¹`). *Physics with bone* bodies are dynamic, but are put back
//!   on their bone's animated position before each step and give their bone only their
//!   rotation; the bone keeps the position its parent chain gives it. A bone driven by more
//!   than one body takes the last (as MMD applies them in order). Bodies without a bone
//!   follow, or move, nothing.
//! - **Mass, damping, restitution, friction** as given; a dynamic body of mass 0 gets
//!   [`MIN_MASS`]. Bullet damps a velocity by `(1 - d)^dt` each step, rapier by
//!   `1 / (1 + dt·d')`: the file's `d` (clamped to 0..0.9999) becomes
//!   `d' = ((1 - d)^-dt - 1) / dt` for the 1/60 s step, so a step damps as much as in MMD.
//!   Friction and restitution combine by multiplying, as in Bullet.
//! - **Collision groups**: a body is in group `1 << group` and collides with the groups whose
//!   bits are *set* in the file's 16-bit mask. The PMX field is called 非衝突グループフラグ
//!   ("non-collision group flags"), and PMX Editor shows the groups it does not collide
//!   with, but the bits stored are the Bullet collision mask the MMD loaders (MMDAgent, saba)
//!   pass straight to Bullet: `0xFFFF` collides with everything, and a model's own group is
//!   cleared. Gene's masks read that way: her hair (group 4) clears groups 4 to 6 (itself,
//!   the back of the head, the cloak) and her cloak's weights have mask 0 (they sit inside
//!   the cloak); read as a "does not collide" list, the hair would collide with nothing
//!   but those, and the weights with everything.
//! - **Joints** (spring 6DOF; the PMX 2.1 kinds are treated alike): a rapier 6DOF
//!   `GenericJoint` between the two bodies at the joint's frame (placed like a body). Each of
//!   the six axes is locked where the file's min equals max (0 = 0), limited where min < max,
//!   and free where min > max, as in Bullet. Mirroring Z turns rotations about X and Y the
//!   other way and moves along Z the other way, so those limits swap sign and order
//!   (`[-max, -min]`); rotation about Z and moves along X and Y keep theirs. Springs are
//!   force-based motors toward 0 with stiffness = the file's spring constant and damping
//!   [`SPRING_DAMPING`] × stiffness (Bullet 2.75's spring has no damping of its own; a step's
//!   worth keeps rapier's implicit spring from ringing). Bodies joined by a joint do not
//!   collide with each other.
//! - **World**: gravity −98 units/s² down Y (MMD's 9.8 × 10, what saba and babylon-mmd use),
//!   one step of 1/60 s (as MMD), rapier's length unit 12.5 (a metre in MMD units), no sleeping
//!   and no CCD.
//!
//! # Where it differs from MMD's Bullet 2.75
//!
//! rapier's solver is not Bullet's: its joints are soft (spring-like) constraints solved with
//! substeps, its angular limits measure angles per axis of the joint frame rather than
//! Bullet's Euler decomposition, and its contacts are softer, so a model tuned in MMD swings a
//! little differently (rapier's tends to be calmer). Bones marked "after physics" are not
//! re-run through their append and IK after physics: only the physics bones' descendants are
//! moved with them. A body that follows a bone follows whatever the animation does, so when
//! the animation itself jumps (an IK link flipping half a turn in a frame), what hangs from it
//! swings.

use glam::{EulerRot, Mat4, Quat, Vec3};
use rapier3d::{
    math::{Pose, Rotation, Vector},
    prelude::{
        CoefficientCombineRule, Collider, ColliderBuilder, GenericJoint, GenericJointBuilder,
        Group, InteractionGroups, InteractionTestMode, JointAxesMask, JointAxis, MotorModel,
        PhysicsWorld, RigidBody, RigidBodyBuilder, RigidBodyHandle,
    },
};

use super::native::{Posed, Skeleton};
use crate::avatar::{
    mmd::to_encore,
    pmx::{Joint, PhysicsMode, Pmx, RigidBody as PmxBody, Shape},
};
use crate::clock::restart_before;

/// One physics step, seconds of concert time.
pub const STEP: f64 = 1.0 / 60.0;
/// Steps per second (the inverse of [`STEP`], exact).
const STEPS_PER_SECOND: f64 = 60.0;
/// The longest stretch of concert time stepped from one restart (see
/// [`crate::clock::RESTART_EVERY`]).
pub use crate::clock::RESTART_EVERY as MAX_SPAN;
/// Steps run at a restart holding the pose there, before its first frame (0.5 s).
pub const PREROLL_STEPS: u32 = 30;
/// Gravity, MMD units per second squared (MMD's 9.8 × 10).
pub const GRAVITY: f32 = 98.0;
/// The mass given a dynamic body whose file says 0.
pub const MIN_MASS: f32 = 0.1;
/// A joint spring's damping, per unit of stiffness (seconds): one step's worth.
pub const SPRING_DAMPING: f32 = 1.0 / 60.0;
/// A metre in MMD units (they are about 8 cm), rapier's length unit for its tolerances.
const LENGTH_UNIT: f32 = 12.5;
/// How close a time asked must be to a grid time to count as it, seconds.
const ON_GRID: f64 = 1e-9;

/// A rigid transform: a rotation, then a translation.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    rotation: Quat,
    translation: Vec3,
}

impl Frame {
    const IDENTITY: Frame = Frame {
        rotation: Quat::IDENTITY,
        translation: Vec3::ZERO,
    };

    /// A bone's world matrix (rotation and translation; MMD bones do not scale).
    fn from_mat4(matrix: &Mat4) -> Frame {
        let (_, rotation, translation) = matrix.to_scale_rotation_translation();
        Frame {
            rotation: rotation.normalize(),
            translation,
        }
    }

    fn to_mat4(self) -> Mat4 {
        Mat4::from_rotation_translation(self.rotation, self.translation)
    }

    /// A PMX body's or joint's placement in encore's axes.
    fn from_mmd(position: [f32; 3], euler: [f32; 3]) -> Frame {
        Frame {
            rotation: rotation_from_mmd(euler),
            translation: to_encore(position),
        }
    }

    /// `self · other`: `other` expressed in `self`'s space.
    fn then(self, other: Frame) -> Frame {
        Frame {
            rotation: (self.rotation * other.rotation).normalize(),
            translation: self.translation + self.rotation * other.translation,
        }
    }

    fn inverse(self) -> Frame {
        let rotation = self.rotation.inverse();
        Frame {
            rotation,
            translation: -(rotation * self.translation),
        }
    }

    fn is_finite(self) -> bool {
        self.rotation.is_finite() && self.translation.is_finite()
    }

    fn to_pose(self) -> Pose {
        let (r, t) = (self.rotation, self.translation);
        Pose::from_parts(
            Vector::new(t.x, t.y, t.z),
            Rotation::from_xyzw(r.x, r.y, r.z, r.w),
        )
    }

    fn from_pose(pose: &Pose) -> Frame {
        let (r, t) = (pose.rotation, pose.translation);
        Frame {
            rotation: Quat::from_xyzw(r.x, r.y, r.z, r.w),
            translation: Vec3::new(t.x, t.y, t.z),
        }
    }
}

/// MMD's Euler angles (radians, `Ry · Rx · Rz` in its left-handed axes) as a rotation in
/// encore's axes: the same numbers mirrored across Z.
fn rotation_from_mmd(euler: [f32; 3]) -> Quat {
    let mmd = Quat::from_euler(EulerRot::YXZ, euler[1], euler[0], euler[2]);
    Quat::from_xyzw(-mmd.x, -mmd.y, mmd.z, mmd.w)
}

/// A rapier vector from encore's.
fn vector(value: Vec3) -> Vector {
    Vector::new(value.x, value.y, value.z)
}

/// One rigid body of the model, ready to be put in a world.
#[derive(Debug, Clone)]
struct Body {
    /// The bone it follows or moves.
    bone: Option<usize>,
    mode: PhysicsMode,
    /// Its placement in its bone's space (`bone_rest⁻¹ · body_rest`), or in the model's for
    /// a body without a bone.
    bone_from_body: Frame,
    body: RigidBody,
    collider: Collider,
}

/// One joint of the model, between two of its bodies.
#[derive(Debug, Clone)]
struct JointSpec {
    a: usize,
    b: usize,
    joint: GenericJoint,
}

/// The simulation between two checkpoints.
struct State {
    world: PhysicsWorld,
    /// The world's body of each of the model's bodies.
    handles: Vec<RigidBodyHandle>,
    /// The checkpoint it started from, concert seconds.
    start: f64,
    /// Steps taken since (the pre-roll not counted).
    steps: u64,
    /// The animated pose at the last step's time.
    targets: Posed,
}

/// A PMX model's physics, stepped in concert time. See the module's documentation.
pub struct Physics {
    bodies: Vec<Body>,
    joints: Vec<JointSpec>,
    /// Each bone's parent.
    parents: Vec<Option<usize>>,
    /// The bones, parents before children.
    order: Vec<usize>,
    /// The dynamic body that drives each bone, if any.
    driver: Vec<Option<usize>>,
    /// For each bone a body drives, its nearest ancestor no body drives.
    anchor: Vec<Option<usize>>,
    state: Option<State>,
    /// The animated world matrices of the frame being posed (kept to spare an allocation).
    animated: Vec<Mat4>,
}

impl std::fmt::Debug for Physics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Physics")
            .field("bodies", &self.bodies.len())
            .field("joints", &self.joints.len())
            .field("start", &self.state.as_ref().map(|state| state.start))
            .field("steps", &self.state.as_ref().map(|state| state.steps))
            .finish()
    }
}

impl Physics {
    /// The physics of `pmx`, whose bones `skeleton` holds.
    pub fn new(pmx: &Pmx, skeleton: &Skeleton) -> Physics {
        let bone_count = skeleton.bones.len();
        let bodies: Vec<Body> = pmx
            .rigid_bodies
            .iter()
            .map(|body| body_from_pmx(body, pmx, bone_count))
            .collect();
        let joints = pmx
            .joints
            .iter()
            .filter_map(|joint| joint_from_pmx(joint, pmx, &bodies))
            .collect();
        let parents: Vec<Option<usize>> = skeleton.bones.iter().map(|bone| bone.parent).collect();
        let order = parents_first(&parents);
        let mut driver = vec![None; bone_count];
        for (index, body) in bodies.iter().enumerate() {
            if let Some(bone) = body.bone
                && body.mode != PhysicsMode::FollowBone
            {
                driver[bone] = Some(index);
            }
        }
        let anchor = (0..bone_count)
            .map(|bone| {
                driver[bone]?;
                let mut at = parents[bone];
                let mut hops = 0;
                while let Some(parent) = at {
                    if driver[parent].is_none() || hops > bone_count {
                        break;
                    }
                    at = parents[parent];
                    hops += 1;
                }
                at
            })
            .collect();
        Physics {
            bodies,
            joints,
            parents,
            order,
            driver,
            anchor,
            state: None,
            animated: Vec::with_capacity(bone_count),
        }
    }

    /// How many of the model's bodies the physics moves.
    pub fn dynamic_bodies(&self) -> usize {
        self.bodies
            .iter()
            .filter(|body| body.mode != PhysicsMode::FollowBone)
            .count()
    }

    /// The bones the physics moves: each bone a dynamic body drives.
    pub fn driven_bones(&self) -> impl Iterator<Item = usize> + '_ {
        self.driver
            .iter()
            .enumerate()
            .filter_map(|(bone, driver)| driver.map(|_| bone))
    }

    /// Poses `posed` (the animated pose at `seconds`, from the same `pose_at`) with the
    /// physics at concert time `seconds`.
    ///
    /// `checkpoints` are sorted concert times where the state restarts (camera cuts); it also
    /// restarts every [`MAX_SPAN`] seconds after the last of them at or before `seconds`.
    /// `pose_at` gives the animated pose at any concert time: the kinematic bodies' targets
    /// while stepping, and the pose a restart starts from. The result depends only on these,
    /// not on what was asked before.
    pub fn pose(
        &mut self,
        seconds: f64,
        checkpoints: &[f64],
        pose_at: impl Fn(f64) -> Posed,
        posed: &mut Posed,
    ) {
        if self.bodies.is_empty() || !seconds.is_finite() {
            return;
        }
        let start = restart_before(seconds, checkpoints);
        let steps = steps_between(start, seconds);
        let continues = self
            .state
            .as_ref()
            .is_some_and(|state| state.start == start && state.steps <= steps);
        if !continues {
            self.state = Some(self.seed(start, &pose_at));
        }
        let Some(state) = self.state.as_mut() else {
            return;
        };
        while state.steps < steps {
            state.steps += 1;
            let targets = pose_at(grid_time(start, state.steps));
            step(&self.bodies, state, &targets);
            state.targets = targets;
        }
        self.apply(seconds, posed);
    }

    /// A new simulation at checkpoint `start`: the bodies where the pose there puts them, at
    /// rest, then the pre-roll.
    fn seed(&self, start: f64, pose_at: &impl Fn(f64) -> Posed) -> State {
        let targets = pose_at(start);
        let mut world = PhysicsWorld::new();
        world.gravity = Vector::new(0.0, -GRAVITY, 0.0);
        world.integration_parameters.dt = STEP as f32;
        world.integration_parameters.length_unit = LENGTH_UNIT;
        world.integration_parameters.max_ccd_substeps = 0;
        let handles: Vec<RigidBodyHandle> = self
            .bodies
            .iter()
            .map(|body| {
                let mut rigid = body.body.clone();
                rigid.set_position(body_target(body, &targets).to_pose(), false);
                world.insert(rigid, body.collider.clone()).0
            })
            .collect();
        for joint in &self.joints {
            world.insert_impulse_joint(handles[joint.a], handles[joint.b], joint.joint);
        }
        let mut state = State {
            world,
            handles,
            start,
            steps: 0,
            targets,
        };
        for _ in 0..PREROLL_STEPS {
            let targets = std::mem::replace(&mut state.targets, empty_pose());
            step(&self.bodies, &mut state, &targets);
            state.targets = targets;
        }
        state
    }

    /// Sets the bones the dynamic bodies drive, and moves their descendants along.
    fn apply(&mut self, seconds: f64, posed: &mut Posed) {
        let Some(state) = self.state.as_ref() else {
            return;
        };
        let on_grid = (grid_time(state.start, state.steps) - seconds).abs() < ON_GRID;
        self.animated.clear();
        self.animated.extend_from_slice(&posed.worlds);
        let mut moved = vec![false; self.parents.len()];
        for &bone in &self.order {
            let parent_world = self.parents[bone].map(|parent| posed.worlds[parent]);
            let local = posed.locals[bone];
            let from_parent = |parent_world: Option<Mat4>| {
                let matrix = Mat4::from_rotation_translation(local.rotation, local.translation);
                parent_world.map_or(matrix, |world| world * matrix)
            };
            let body_world = self.driver[bone].and_then(|index| {
                let body = &self.bodies[index];
                let frame = Frame::from_pose(state.world.bodies[state.handles[index]].position());
                frame.is_finite().then_some((body, frame))
            });
            let world = match body_world {
                Some((body, body_frame)) => {
                    let mut bone_frame = body_frame.then(body.bone_from_body.inverse());
                    // From the last grid time to the time asked, the bone rides along with
                    // its nearest animated ancestor.
                    if !on_grid && let Some(anchor) = self.anchor[bone] {
                        let then = Frame::from_mat4(&state.targets.worlds[anchor]);
                        let now = Frame::from_mat4(&self.animated[anchor]);
                        bone_frame = now.then(then.inverse()).then(bone_frame);
                    }
                    if body.mode == PhysicsMode::PhysicsWithBone {
                        bone_frame.translation = from_parent(parent_world).w_axis.truncate();
                    }
                    bone_frame.to_mat4()
                }
                None if self.parents[bone].is_some_and(|parent| moved[parent]) => {
                    from_parent(parent_world)
                }
                None => continue,
            };
            moved[bone] = true;
            posed.worlds[bone] = world;
            if self.driver[bone].is_some() {
                let local_matrix = parent_world.map_or(world, |parent| parent.inverse() * world);
                let local_frame = Frame::from_mat4(&local_matrix);
                posed.locals[bone].rotation = local_frame.rotation;
                posed.locals[bone].translation = local_frame.translation;
            }
        }
    }
}

/// One step: the kinematic bodies to their bones in `targets`, the bodies that keep their
/// bone's position put back on it, then the world stepped.
fn step(bodies: &[Body], state: &mut State, targets: &Posed) {
    for (body, &handle) in bodies.iter().zip(&state.handles) {
        let rigid = &mut state.world.bodies[handle];
        match body.mode {
            PhysicsMode::FollowBone => {
                rigid.set_next_kinematic_position(body_target(body, targets).to_pose());
            }
            PhysicsMode::PhysicsWithBone if body.bone.is_some() => {
                let at = body_target(body, targets).translation;
                rigid.set_translation(vector(at), true);
            }
            PhysicsMode::Physics | PhysicsMode::PhysicsWithBone => {}
        }
    }
    state.world.step();
}

/// Where `body` sits when its bone is posed as in `targets`.
fn body_target(body: &Body, targets: &Posed) -> Frame {
    match body.bone.and_then(|bone| targets.worlds.get(bone)) {
        Some(world) => Frame::from_mat4(world).then(body.bone_from_body),
        None => body.bone_from_body,
    }
}

/// A pose with no bones (a placeholder while the real one is borrowed).
fn empty_pose() -> Posed {
    Posed {
        locals: Vec::new(),
        worlds: Vec::new(),
    }
}

/// The steps from `start` up to `seconds` (a time a hair short of a grid point counts as it,
/// so frame times computed in different ways land on the same step).
fn steps_between(start: f64, seconds: f64) -> u64 {
    ((seconds - start) * STEPS_PER_SECOND + 1e-6)
        .floor()
        .max(0.0) as u64
}

/// The concert time of step `steps` after `start`.
fn grid_time(start: f64, steps: u64) -> f64 {
    start + steps as f64 / STEPS_PER_SECOND
}

/// The bones, parents before children (a file may list a child first).
fn parents_first(parents: &[Option<usize>]) -> Vec<usize> {
    let depth = |bone: usize| {
        let mut depth = 0;
        let mut at = parents[bone];
        while let Some(parent) = at {
            depth += 1;
            if depth > parents.len() {
                break;
            }
            at = parents[parent];
        }
        depth
    };
    let mut order: Vec<usize> = (0..parents.len()).collect();
    order.sort_by_key(|&bone| (depth(bone), bone));
    order
}

/// Bullet's damping `d` (a share of the velocity lost per second, `(1 - d)^dt` kept) as
/// rapier's (`1 / (1 + dt·d')` kept), for one [`STEP`].
fn damping_from_mmd(damping: f32) -> f32 {
    let dt = STEP as f32;
    let kept = (1.0 - damping.clamp(0.0, 0.9999)).powf(dt);
    (1.0 / kept - 1.0) / dt
}

/// One of the model's rigid bodies as rapier's.
fn body_from_pmx(body: &PmxBody, pmx: &Pmx, bone_count: usize) -> Body {
    let bone = body.bone.filter(|&bone| bone < bone_count);
    let body_rest = Frame::from_mmd(body.position, body.rotation);
    let bone_rest = bone.map_or(Frame::IDENTITY, |bone| Frame {
        rotation: Quat::IDENTITY,
        translation: to_encore(pmx.bones[bone].position),
    });
    let dynamic = body.mode != PhysicsMode::FollowBone;
    let rigid = if dynamic {
        RigidBodyBuilder::dynamic()
    } else {
        RigidBodyBuilder::kinematic_position_based()
    }
    .linear_damping(damping_from_mmd(body.linear_damping))
    .angular_damping(damping_from_mmd(body.angular_damping))
    .can_sleep(false)
    .build();
    let size = body.size.map(|value| value.max(0.01));
    let shape = match body.shape {
        Shape::Sphere => ColliderBuilder::ball(size[0]),
        Shape::Box => ColliderBuilder::cuboid(size[0], size[1], size[2]),
        Shape::Capsule => ColliderBuilder::capsule_y(size[1] * 0.5, size[0]),
    };
    // Not `max`: a light body (an ahoge's tip weighs 0.05) keeps its mass.
    let mass = if body.mass > 0.0 { body.mass } else { MIN_MASS };
    let groups = InteractionGroups::new(
        Group::from_bits_truncate(1 << body.group.min(15)),
        Group::from_bits_truncate(u32::from(body.non_collision_mask)),
        InteractionTestMode::And,
    );
    let collider = shape
        .mass(mass)
        .friction(body.friction.max(0.0))
        .friction_combine_rule(CoefficientCombineRule::Multiply)
        .restitution(body.restitution.max(0.0))
        .restitution_combine_rule(CoefficientCombineRule::Multiply)
        .collision_groups(groups)
        .build();
    Body {
        bone,
        mode: body.mode,
        bone_from_body: bone_rest.inverse().then(body_rest),
        body: rigid,
        collider,
    }
}

/// One of the model's joints as a rapier 6DOF joint, or `None` when it does not join two
/// different bodies.
fn joint_from_pmx(joint: &Joint, pmx: &Pmx, bodies: &[Body]) -> Option<JointSpec> {
    let a = joint.a.filter(|&a| a < bodies.len())?;
    let b = joint.b.filter(|&b| b < bodies.len() && b != a)?;
    let at = Frame::from_mmd(joint.position, joint.rotation);
    let rest = |index: usize| {
        Frame::from_mmd(
            pmx.rigid_bodies[index].position,
            pmx.rigid_bodies[index].rotation,
        )
    };
    let mut builder = GenericJointBuilder::new(JointAxesMask::empty())
        .local_frame1(rest(a).inverse().then(at).to_pose())
        .local_frame2(rest(b).inverse().then(at).to_pose())
        .contacts_enabled(false);
    // Mirroring Z: moves along Z, and turns about X and Y, go the other way.
    let mirrored = |min: f32, max: f32, flip: bool| if flip { (-max, -min) } else { (min, max) };
    let axes = [
        (
            JointAxis::LinX,
            joint.linear_min[0],
            joint.linear_max[0],
            false,
            joint.spring_linear[0],
        ),
        (
            JointAxis::LinY,
            joint.linear_min[1],
            joint.linear_max[1],
            false,
            joint.spring_linear[1],
        ),
        (
            JointAxis::LinZ,
            joint.linear_min[2],
            joint.linear_max[2],
            true,
            joint.spring_linear[2],
        ),
        (
            JointAxis::AngX,
            joint.angular_min[0],
            joint.angular_max[0],
            true,
            joint.spring_angular[0],
        ),
        (
            JointAxis::AngY,
            joint.angular_min[1],
            joint.angular_max[1],
            true,
            joint.spring_angular[1],
        ),
        (
            JointAxis::AngZ,
            joint.angular_min[2],
            joint.angular_max[2],
            false,
            joint.spring_angular[2],
        ),
    ];
    for (axis, min, max, flip, stiffness) in axes {
        let (min, max) = mirrored(min, max, flip);
        if min == max && min == 0.0 {
            builder = builder.locked_axes(builder.0.locked_axes | JointAxesMask::from(axis));
            continue;
        }
        if min <= max {
            builder = builder.limits(axis, [min, max]);
        }
        if stiffness.is_finite() && stiffness > 0.0 {
            builder = builder
                .motor_position(axis, 0.0, stiffness, stiffness * SPRING_DAMPING)
                .motor_model(axis, MotorModel::ForceBased);
        }
    }
    Some(JointSpec {
        a,
        b,
        joint: builder.build(),
    })
}

#[cfg(test)]
mod tests;
