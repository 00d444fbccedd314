//! The fan chat as data: messages and their sanitiser, the show's planned chatter, and chat
//! logs in and out.

pub mod chatter;
pub mod log;
pub mod message;
