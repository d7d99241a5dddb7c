#include <stdio.h>
int main(void);
int main(void) { puts("tasker-fcgi: not yet"); return 0; }
