package codecs

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
)

type encoder func(v any) ([]byte, error)

// encoders is a registry: filled once, before any request, only read afterwards.
var encoders = map[string]encoder{
	"application/json": json.Marshal,
}

var names []string

func register(contentType string, enc encoder) {
	encoders[contentType] = enc
	names = append(names, contentType)
}

func init() {
	register("application/xml", xml.Marshal)
}

func negotiate(w http.ResponseWriter, r *http.Request) {
	enc, ok := encoders[r.Header.Get("Accept")]
	if !ok {
		http.Error(w, "not acceptable", http.StatusNotAcceptable)
		return
	}
	body, err := enc(map[string]string{"status": "ok"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(body)
}
