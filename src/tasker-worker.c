#include <stdio.h>
int main(void);
int main(void) { puts("tasker-worker: not yet"); return 0; }
