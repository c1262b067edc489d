//! The key-value store page: its own document and WebAssembly binary (the shell plus this one algorithm).

fn main() {
    dsplay_web::start::<dsplay_web::views::kvstore::KvstorePage>();
}
