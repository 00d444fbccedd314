//! Avatars as data: the humanoid skeleton and its poses, expressions, retargeting onto other
//! rigs, and what a glTF/VRM file holds.

pub mod expression;
pub mod inspect;
pub mod looks;
pub mod retarget;
pub mod skeleton;
