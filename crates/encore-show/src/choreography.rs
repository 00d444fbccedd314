//! Choreography as data: the move library and poses.

pub mod moves;
