/* results_dir.c: what the command line reads from a results folder before
 * handing it to the runner or the plotter: whether it holds --quick
 * results (its manifest), and whether it holds unmerged shard tables. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* Writes into best the newest manifest*.csv of dir (manifest.csv or a
 * shard's manifest.shard-K-of-N.csv) by modification time; "" when there
 * is none. */
static void newest_manifest(const char *dir, char *best, size_t len)
{
    best[0] = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    struct timespec t = {0, 0};
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "manifest", 8) != 0 || n < 12 ||
            strcmp(e->d_name + n - 4, ".csv") != 0)
            continue;
        char p[4400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0) continue;
        if (!best[0] || st.st_mtim.tv_sec > t.tv_sec ||
            (st.st_mtim.tv_sec == t.tv_sec && st.st_mtim.tv_nsec > t.tv_nsec)) {
            t = st.st_mtim;
            snprintf(best, len, "%s", p);
        }
    }
    closedir(d);
}

/* The manifest that speaks for a results folder: manifest.csv when there
 * is one (an unsharded run and a merge write it next to runs.csv, so it
 * describes what plot draws and what a merge of the folder reproduces),
 * else the newest shard manifest (shards not merged yet). This is the one
 * rule for plot and merge; before, plot read only manifest.csv and merge
 * the newest manifest of any kind, which differ only when a shard manifest
 * is newer than the folder's manifest.csv. */
int gn_cli_results_quick(const char *dir)
{
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    if (stat(path, &st) != 0) newest_manifest(dir, path, sizeof path);
    int quick = 0;
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "quick,true", 10) == 0) quick = 1;
        fclose(f);
    }
    return quick;
}

int gn_cli_has_shard_tables(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL)
        found = strncmp(e->d_name, "runs.shard-", 11) == 0;
    closedir(d);
    return found;
}
