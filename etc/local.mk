# etc: example handlers
