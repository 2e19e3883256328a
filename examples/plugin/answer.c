/* A plugin that a host loads from sealed memory with load_library. */
int sealexec_plugin_answer(void) { return 42; }
const char* sealexec_plugin_name(void) { return "answer"; }
