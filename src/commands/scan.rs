//! STUB: `wsaudit scan`.

use super::{CommandError, Context};
use crate::cli::{GlobalArgs, ScanArgs};

pub fn run(global: &GlobalArgs, _args: &ScanArgs) -> Result<u8, CommandError> {
    let _ctx = Context::load(global)?;
    Err(CommandError::Usage("wsaudit scan is not built yet".into()))
}
