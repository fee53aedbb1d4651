#ifndef VMM_LOADER_H
#define VMM_LOADER_H

/* Flat binary images copied into guest RAM. */

#include <stdint.h>

struct mem;

/*
 * Load the file at path into RAM at guest physical gpa. Returns the number
 * of bytes loaded, or -errno: -ENOENT/-EACCES (cannot open), -EISDIR (a
 * directory), -ENODATA (empty file), -EFBIG (does not fit in RAM at gpa).
 * Nothing is written to RAM unless the whole image fits.
 */
long loader_load_file(struct mem *m, const char *path, uint64_t gpa);

/*
 * Check that path is a loadable image without loading it: returns its
 * size, or the same -errno values as loader_load_file (but -EFBIG).
 */
long loader_check_file(const char *path);

#endif
