// zlib from Debian's zlib1g-dev: reads the gzip-compressed ClassBench files.
#include <zlib.h>
