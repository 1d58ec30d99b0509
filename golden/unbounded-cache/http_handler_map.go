package sessions

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

type session struct {
	user    string
	created time.Time
}

var (
	mu       sync.RWMutex
	sessions = map[string]session{} // want "unbounded-cache: package-level map sessions grows with every request \(`sessions\[token\] = session.*` in remember"
)

// remember is called from the login handler: every login adds a session and nothing
// ever removes one.
func remember(token, user string) {
	mu.Lock()
	defer mu.Unlock()
	sessions[token] = session{user: user, created: time.Now()}
}

func login(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	token := hex.EncodeToString(buf)
	remember(token, r.FormValue("user"))
	http.SetCookie(w, &http.Cookie{Name: "session", Value: token})
}

func whoami(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie("session")
	if err != nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	mu.RLock()
	s, ok := sessions[cookie.Value]
	mu.RUnlock()
	if !ok {
		http.Error(w, "unknown session", http.StatusUnauthorized)
		return
	}
	_, _ = w.Write([]byte(s.user))
}

func Routes(mux *http.ServeMux) {
	mux.HandleFunc("/login", login)
	mux.HandleFunc("/whoami", whoami)
}
