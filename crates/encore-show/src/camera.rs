//! The camera as data: the director's plan of shots for the whole concert.

pub mod director;
