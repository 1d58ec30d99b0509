package users

import "sync"

type User struct {
	ID   int
	Name string
}

var (
	mu        sync.Mutex
	userCache = make(map[int]User)
)

func safeCacheUser(u User) {
	mu.Lock()
	defer mu.Unlock()
	// Keep cache bounded; in production, use an LRU library
	if len(userCache) > 1000 {
		// simple eviction: clear as a placeholder for real logic
		userCache = make(map[int]User)
	}
	userCache[u.ID] = u // stores a copy, not a reference to rows
}
