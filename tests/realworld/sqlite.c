// sqlite: an in-memory SQLite database: creates a table, inserts rows with a
// prepared statement, and prints an aggregate query ordered deterministically.
// realworld: needs the new directive word --pkg (not in sealexec yet).
// sealexec: -std=c11 -Wall -Wextra -Werror
// sealexec: --pkg sqlite3
#include <sqlite3.h>
#include <stdio.h>

static int check(sqlite3 *db, int rc, const char *what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    return 0;
  }
  return 1;
}

static int print_row(void *unused, int n, char **values, char **names) {
  (void)unused;
  for (int i = 0; i < n; i++) printf("%s%s=%s", i ? "  " : "", names[i], values[i] ? values[i] : "NULL");
  putchar('\n');
  return 0;
}

int main(void) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fputs("sqlite: cannot open an in-memory database\n", stderr);
    return 1;
  }
  printf("sqlite major version %d\n", SQLITE_VERSION_NUMBER / 1000000);
  if (!check(db, sqlite3_exec(db,
                              "CREATE TABLE sales(region TEXT NOT NULL, item TEXT, qty INTEGER, price REAL);",
                              NULL, NULL, NULL), "create"))
    return 1;

  static const struct { const char *region, *item; int qty; double price; } rows[] = {
      {"north", "widget", 10, 2.50}, {"south", "widget", 4, 2.50}, {"north", "gadget", 1, 19.99},
      {"east", "widget", 7, 2.25},  {"south", "gizmo", 3, 7.00},  {"east", "gadget", 2, 18.50},
      {"north", "gizmo", 5, 6.75},  {"west", "widget", 0, 2.50},
  };
  sqlite3_stmt *insert;
  if (!check(db, sqlite3_prepare_v2(db, "INSERT INTO sales VALUES (?1, ?2, ?3, ?4);", -1, &insert, NULL), "prepare"))
    return 1;
  sqlite3_exec(db, "BEGIN;", NULL, NULL, NULL);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    sqlite3_bind_text(insert, 1, rows[i].region, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, rows[i].item, -1, SQLITE_STATIC);
    sqlite3_bind_int(insert, 3, rows[i].qty);
    sqlite3_bind_double(insert, 4, rows[i].price);
    if (!check(db, sqlite3_step(insert), "insert")) return 1;
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);

  puts("-- revenue by region");
  if (!check(db, sqlite3_exec(db,
                              "SELECT region, SUM(qty) AS units, printf('%.2f', SUM(qty * price)) AS revenue "
                              "FROM sales GROUP BY region HAVING units > 0 ORDER BY SUM(qty * price) DESC, region;",
                              print_row, NULL, NULL), "query"))
    return 1;

  puts("-- best seller per item");
  sqlite3_stmt *q;
  sqlite3_prepare_v2(db,
                     "SELECT item, region, MAX(qty) FROM sales GROUP BY item ORDER BY item;", -1, &q, NULL);
  while (sqlite3_step(q) == SQLITE_ROW)
    printf("%-7s %-6s %d\n", (const char *)sqlite3_column_text(q, 0),
           (const char *)sqlite3_column_text(q, 1), sqlite3_column_int(q, 2));
  sqlite3_finalize(q);

  int rc = sqlite3_exec(db, "INSERT INTO sales(item) VALUES ('nameless');", NULL, NULL, NULL);
  printf("NOT NULL constraint: %s\n", rc == SQLITE_CONSTRAINT ? "enforced" : "ignored");
  sqlite3_close(db);
  return 0;
}
