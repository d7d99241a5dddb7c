#include <stdio.h>
int main(void);
int main(void) { puts("tasker-admin: not yet"); return 0; }
