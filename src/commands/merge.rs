//! STUB: `wsaudit merge` (the scan-report branch replaces this file).

use super::{CommandError, Context};
use crate::cli::{GlobalArgs, MergeArgs};

pub fn run(global: &GlobalArgs, _args: &MergeArgs) -> Result<u8, CommandError> {
    let _ctx = Context::load(global)?;
    Err(CommandError::Usage("wsaudit merge is not built yet".into()))
}
