//! An emulator with a repository of objects, for the object operations' tests.

use lakefs_emulator::Emulator;

use super::{q, Api};

pub const R: &str = "objects-repo";
pub const CSV: &str = "id,name\n1,alpha\n2,beta\n3,gamma\n"; // 31 bytes

/// An emulator with repository `objects-repo`: `a.txt`, `a/x`, `a/y/z`, `ab/y` and `b`
/// committed on main, `c.csv` staged there; branch `side` at main's commit.
pub fn setup() -> Api {
    let emulator = Emulator::new();
    emulator.add_repository(R, "main");
    for path in ["a.txt", "a/x", "a/y/z", "ab/y", "b"] {
        emulator.put_object(R, "main", path, CSV);
    }
    emulator.commit(R, "main", "objects");
    emulator.put_object(R, "main", "c.csv", CSV);
    let api = Api::new(emulator);
    api.emulator.add_branch(R, "side", "main");
    api
}

/// getObject's (and headObject's) path for `path` at `reference`.
pub fn object_url(reference: &str, path: &str) -> String {
    format!(
        "/repositories/{R}/refs/{reference}/objects?path={}",
        q(path)
    )
}
