#include <stdio.h>
#include <string.h>

#include "harness.h"

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : NULL;
  int passed = 0, failed = 0;
  for (harness::Case* c = harness::head(); c != NULL; c = c->next) {
    if (filter != NULL && strstr(c->name, filter) == NULL) continue;
    harness::current_failures() = 0;
    c->fn();
    if (harness::current_failures() == 0) {
      ++passed;
    } else {
      ++failed;
      fprintf(stderr, "FAILED %s\n", c->name);
    }
  }
  printf("device-core: %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
