//! The demo: a full Moment → DK+ sync against embedded fake servers (coming).
fn main() {
    println!("The demo is coming: it will run a full Moment → DK+ sync against embedded fakes.");
}
