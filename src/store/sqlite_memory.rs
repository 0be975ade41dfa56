//! SQLite's memory, process-wide: its allocations go to mimalloc (the service's allocator) without
//! SQLite's own accounting of them.
//!
//! The writer binds some 30,000 values a batch and SQLite copies each bound string into a fresh
//! allocation; with the C library's allocator behind a global mutex and a size query per call
//! (`SQLITE_CONFIG_MEMSTATUS`, on by default, which feeds only `sqlite3_memory_used`, not read here),
//! those allocations were about a tenth of the writer's time (`BENCHMARKS.md`).

use libsqlite3_sys as ffi;
use std::os::raw::{c_int, c_void};

unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
    // SAFETY: SQLite never asks for a negative size; mimalloc aligns to at least 8 bytes, as SQLite needs.
    unsafe { libmimalloc_sys::mi_malloc(n.max(0) as usize) }
}

unsafe extern "C" fn free(p: *mut c_void) {
    // SAFETY: `p` came from `malloc` or `realloc` above (SQLite frees only what its allocator gave).
    unsafe { libmimalloc_sys::mi_free(p) }
}

unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: as for `free`.
    unsafe { libmimalloc_sys::mi_realloc(p, n.max(0) as usize) }
}

unsafe extern "C" fn size(p: *mut c_void) -> c_int {
    // SAFETY: as for `free`; SQLite's allocations are far below 2 GB.
    unsafe { libmimalloc_sys::mi_usable_size(p) as c_int }
}

unsafe extern "C" fn roundup(n: c_int) -> c_int {
    // SAFETY: a pure size computation.
    unsafe { libmimalloc_sys::mi_good_size(n.max(0) as usize).min(c_int::MAX as usize) as c_int }
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

fn methods() -> ffi::sqlite3_mem_methods {
    ffi::sqlite3_mem_methods {
        xMalloc: Some(malloc),
        xFree: Some(free),
        xRealloc: Some(realloc),
        xSize: Some(size),
        xRoundup: Some(roundup),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    }
}

/// Sets SQLite's allocator and turns its memory accounting off. Effective only before SQLite is first
/// used in the process (`sqlite3_config` refuses afterwards): call it first thing in `main`. Returns
/// whether both settings took.
pub fn configure() -> bool {
    // SAFETY: `sqlite3_config` is called before any connection is opened (or refuses with
    // SQLITE_MISUSE, changing nothing); SQLite copies the methods before the call returns, and they
    // are sound for any pointer SQLite's allocator handed out.
    unsafe {
        let memstatus = ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        let methods = methods();
        let malloc = ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods);
        memstatus == ffi::SQLITE_OK && malloc == ffi::SQLITE_OK
    }
}
