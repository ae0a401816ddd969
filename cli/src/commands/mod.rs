//! One module per subcommand.

pub mod broker;
pub mod registry;
pub mod report;
pub mod serve;
pub mod submit;
pub mod token;
