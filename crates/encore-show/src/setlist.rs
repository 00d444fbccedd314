//! The setlist's parts that need nothing else: time positions, the file's raw serde types,
//! and locating and printing problems like a compiler. Checking and the checked model are
//! still in the app's `setlist` module (issue 21's next step).

pub mod diagnostics;
pub mod locate;
pub mod raw;
pub mod time;
