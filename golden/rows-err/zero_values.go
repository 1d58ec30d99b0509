package users

import (
	"context"
	"database/sql"
)

type User struct {
	ID    int
	Name  string
	Admin bool
}

// The query's error is checked under another name here, so the rows.Err()
// check is built from each signature: zero values, then err.

func countActive(ctx context.Context, db *sql.DB) (int, error) {
	rows, qerr := db.QueryContext(ctx, "SELECT 1 FROM users WHERE active")
	if qerr != nil {
		return -1, qerr
	}
	defer rows.Close()
	n := 0
	for rows.Next() { // want "rows-err"
		n++
	}
	return n, nil
}

func longestName(rows *sql.Rows) (string, error) {
	longest := ""
	for rows.Next() { // want "rows-err"
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		if len(n) > len(longest) {
			longest = n
		}
	}
	return longest, nil
}

func anyAdmin(rows *sql.Rows) (bool, error) {
	for rows.Next() { // want "rows-err"
		var admin bool
		if err := rows.Scan(&admin); err != nil {
			return false, err
		}
		if admin {
			return true, nil
		}
	}
	return false, nil
}

func firstAdmin(rows *sql.Rows) (*User, error) {
	for rows.Next() { // want "rows-err"
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Admin); err != nil {
			return nil, err
		}
		if u.Admin {
			return &u, nil
		}
	}
	return nil, nil
}

func allUsers(rows *sql.Rows) ([]User, error) {
	var out []User
	for rows.Next() { // want "rows-err"
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Admin); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func lastUser(rows *sql.Rows) (User, error) {
	var u User
	for rows.Next() { // want "rows-err"
		if err := rows.Scan(&u.ID, &u.Name, &u.Admin); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

func index(rows *sql.Rows) (map[int]User, int, error) {
	out := map[int]User{}
	for rows.Next() { // want "rows-err"
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Admin); err != nil {
			return nil, 0, err
		}
		out[u.ID] = u
	}
	return out, len(out), nil
}
