//! Avatars as data: the humanoid skeleton and its poses, expressions, retargeting onto other
//! rigs, and what a glTF/VRM file or a MikuMikuDance PMX model holds.

pub mod design;
pub mod expression;
pub mod face_paint;
pub mod figure;
pub mod inspect;
pub mod looks;
pub mod material_morphs;
pub mod mmd;
pub mod pmx;
pub mod retarget;
pub mod skeleton;
pub mod spring;
