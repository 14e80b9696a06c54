//! One module per subcommand. Each exposes its clap `…Args` and a `run` that returns an
//! error for `main` to print.

pub(crate) mod bench;
pub(crate) mod connection;
pub(crate) mod decode;
pub(crate) mod properties;
pub(crate) mod publish;
pub(crate) mod sim;
pub(crate) mod subscribe;
