//! Unit tests of the checker on hand-made histories and states.
