/* Lives in origin-app/lib; greet finds it only through RUNPATH $ORIGIN/../lib. */
const char* greeting(void) { return "hello from a library found through $ORIGIN"; }
