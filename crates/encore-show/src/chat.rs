//! The fan chat as data: messages and their sanitiser, the show's planned chatter, chat logs
//! in and out, and where the overlay sits and how long a message stays on it.

pub mod chatter;
pub mod log;
pub mod look;
pub mod message;
