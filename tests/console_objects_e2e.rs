//! The console's host views end to end: the real binary in tmux against the real daemon.
//! `:images` lists the test image; a tag made while the view is open shows without a key
//! (the view follows image events); `:df` shows the disk usage; `Esc` goes back to the list.
//!
//! The tmux server (a unique socket) and session are this test's alone, killed on drop.
//! Screens are polled with a generous bound; no elapsed time is ever asserted.

mod common;

use std::process::Command;

use common::tmux::{Launch, Tmux};
use common::{Fixture, IMAGE};

/// Removes the tag the test made (the shared test image stays), also when the test fails.
struct Untag(String);

impl Drop for Untag {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", &self.0]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_view_lists_the_test_image_and_follows_a_new_tag() {
    let fx = Fixture::new("cimg").await;
    let tag = format!("{}-live:latest", fx.prefix);
    let _untag = Untag(tag.clone());
    let dir = tempfile::tempdir().expect("temp dir");

    let tmux = Tmux::start(200, 60);
    tmux.launch_console(dir.path(), &[], Launch::Plain);
    tmux.wait_for_console();
    tmux.keys(&[":"]);
    tmux.type_text("images");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the images view with the test image", |s| {
        s.contains(" images ") && s.contains(IMAGE) && s.contains("CONTAINERS")
    });
    assert!(screen.contains("DANGLING"), "{screen}");

    // Made while the view is open: shown from the image event, no key pressed.
    let out = Command::new("docker")
        .args(["tag", IMAGE, &tag])
        .output()
        .expect("docker tag runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tmux.wait_for("the new tag, from the event", |s| s.contains(&tag));

    tmux.keys(&[":"]);
    tmux.type_text("df");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the disk usage", |s| {
        s.contains("disk usage") && s.contains("Images") && s.contains("Build cache")
    });

    tmux.keys(&["Escape"]);
    tmux.wait_for_console();
    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| !s.contains("q quit"));
}
