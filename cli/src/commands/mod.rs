//! One module per subcommand.

pub mod broker;
pub mod demo;
pub mod land;
pub mod registry;
pub mod report;
pub mod rollup;
pub mod serve;
pub mod submit;
pub mod token;
