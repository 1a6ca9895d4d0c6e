// An `inherit` key's value is cloned into spawned tasks, which may run on another thread:
// its type must be `Clone + Send`. The error points at the declaration.
use std::rc::Rc;

anyrt::task_local! {
    inherit static SHARED: Rc<u32>;
}

fn main() {}
