// The floor under "what the socket adds to a search" on this machine: a server with no HTTP, no
// JSON and no runtime — read a request, scan 100,000 x 384 float32 rows (the flat index's memory
// traffic), write 4 KiB — and a client that times the same scan in its own process, then the round
// trip. Whatever this reports, no server design can add less on the same machine.
//
//   cc -O3 -march=native -ffast-math -o /tmp/socket_floor benchmarks/socket_floor.c
//   /tmp/socket_floor server /tmp/floor.sock 100000 huge &
//   /tmp/socket_floor client /tmp/floor.sock 100000 huge 500
//
// rows: rows scanned per request (0-100000; 100 keeps every cache warm). "huge" asks Linux for
// 2 MiB pages on the vectors (as Casebook's vector storage does); "small" does not.
// The client prints medians: the scan in-process, the round trip, their difference, and the round
// trip minus the server's own scan time (sent back in the reply).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { ROWS = 100000, DIM = 384, REPLY = 4096, HUGE_PAGE = 1 << 21 };

static float *vectors, query[DIM], scores[ROWS];

static double microseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *values, int count) {
    qsort(values, count, sizeof *values, ascending);
    return values[count / 2];
}

// Dot products of every row with the query, kept (as the flat index keeps its scores) and the best
// returned so the compiler cannot drop the work.
static float scan(int rows) {
    float best = -1e30f;
    for (int i = 0; i < rows; i++) {
        const float *row = vectors + (size_t)i * DIM;
        float sum = 0;
        for (int j = 0; j < DIM; j++) sum += row[j] * query[j];
        scores[i] = sum;
        if (sum > best) best = sum;
    }
    return best;
}

static void fill(int huge) {
    size_t bytes = (size_t)ROWS * DIM * sizeof(float);
    vectors = aligned_alloc(HUGE_PAGE, bytes + HUGE_PAGE);
    if (!vectors) exit(1);
    if (huge) madvise(vectors, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < (size_t)ROWS * DIM; i++) vectors[i] = (float)(i % 97) / 97.0f;
    for (int j = 0; j < DIM; j++) query[j] = j * 0.001f;
}

static int connect_or_listen(const char *path, int listening) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    if (listening) {
        unlink(path);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) || listen(fd, 4)) return -1;
    } else if (connect(fd, (struct sockaddr *)&address, sizeof address)) {
        return -1;
    }
    return fd;
}

static void serve(const char *path, int rows) {
    int listener = connect_or_listen(path, 1);
    if (listener < 0) { perror("listen"); exit(1); }
    static char request[1 << 16];
    char reply[REPLY];
    memset(reply, 'x', sizeof reply);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        while (read(fd, request, sizeof request) > 0) {
            double started = microseconds();
            float best = scan(rows);
            double took = microseconds() - started;
            memcpy(reply, &best, sizeof best);
            memcpy(reply + 8, &took, sizeof took);
            if (write(fd, reply, sizeof reply) != sizeof reply) break;
        }
        close(fd);
    }
}

static void measure(const char *path, int rows, int count) {
    int fd = connect_or_listen(path, 0);
    if (fd < 0) { perror("connect"); exit(1); }
    double *local = malloc(count * sizeof *local), *remote = malloc(count * sizeof *remote);
    double *transport = malloc(count * sizeof *transport);
    char request[1600], reply[REPLY];
    memset(request, 'r', sizeof request);
    volatile float sink = 0;
    for (int i = 0; i < count; i++) {
        double started = microseconds();
        sink += scan(rows);
        local[i] = microseconds() - started;
        started = microseconds();
        if (write(fd, request, sizeof request) != sizeof request) exit(1);
        int got = 0;
        while (got < REPLY) {
            int n = read(fd, reply + got, REPLY - got);
            if (n <= 0) exit(1);
            got += n;
        }
        remote[i] = microseconds() - started;
        double took;
        memcpy(&took, reply + 8, sizeof took);
        transport[i] = remote[i] - took;
    }
    double a = median(local, count), b = median(remote, count);
    printf("rows %d: in-process p50 %.1f us, socket p50 %.1f us, added %.1f us, round trip minus server scan %.1f us\n",
           rows, a, b, b - a, median(transport, count));
}

int main(int argc, char **argv) {
    if (argc < 5 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
        fprintf(stderr, "usage: %s server|client SOCKET ROWS huge|small [REQUESTS]\n", argv[0]);
        return 2;
    }
    int rows = atoi(argv[3]);
    if (rows < 0 || rows > ROWS) rows = ROWS;
    fill(!strcmp(argv[4], "huge"));
    if (!strcmp(argv[1], "server")) serve(argv[2], rows);
    else measure(argv[2], rows, argc > 5 ? atoi(argv[5]) : 500);
    return 0;
}
