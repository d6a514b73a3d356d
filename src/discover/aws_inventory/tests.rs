//! Unit tests of the AWS walk and the per-provider resolutions over hand-built inventories.
