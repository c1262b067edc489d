fn main() {
    console_error_panic_hook::set_once();
    dsplay_web::start();
}
