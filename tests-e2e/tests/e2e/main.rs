//! End-to-end: the three built binaries as separate processes, driven from outside.

mod foundation;
