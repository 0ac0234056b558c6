package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds nesting. The deepest valid document is
// object > Statement array > statement > Condition > operator > key >
// value array, so anything deeper is malformed; the bound also keeps
// hostile input from recursing deeply.
const maxJSONDepth = 10

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonString
	jsonNumber
	jsonBool
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonString:
		return "a string"
	case jsonNumber:
		return "a number"
	case jsonBool:
		return "a boolean"
	case jsonArray:
		return "an array"
	case jsonObject:
		return "an object"
	}
	return "unknown"
}

// jsonValue is a decoded JSON value that, unlike map-based decoding, keeps
// object members in document order and lets the parser reject duplicate
// keys (a silently merged duplicate "StringEquals" block would drop a
// condition).
type jsonValue struct {
	kind    jsonKind
	str     string // string value, or a number's literal text
	b       bool
	elems   []jsonValue
	members []jsonMember
}

type jsonMember struct {
	key string
	val jsonValue
}

// decodeJSON decodes exactly one JSON value from doc.
func decodeJSON(doc []byte) (jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return jsonValue{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return jsonValue{}, errors.New("unexpected data after the document")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return jsonValue{}, errors.New("unexpected end of document")
		}
		return jsonValue{}, err
	}
	switch t := tok.(type) {
	case string:
		return jsonValue{kind: jsonString, str: t}, nil
	case json.Number:
		return jsonValue{kind: jsonNumber, str: t.String()}, nil
	case bool:
		return jsonValue{kind: jsonBool, b: t}, nil
	case nil:
		return jsonValue{kind: jsonNull}, nil
	case json.Delim:
		if depth >= maxJSONDepth {
			return jsonValue{}, errors.New("document nested too deeply")
		}
		if t == '[' {
			v := jsonValue{kind: jsonArray}
			for dec.More() {
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return jsonValue{}, err
				}
				v.elems = append(v.elems, e)
			}
			_, err := dec.Token() // ']'
			return v, err
		}
		v := jsonValue{kind: jsonObject}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return jsonValue{}, err
			}
			key, _ := kt.(string) // the decoder guarantees a string key here
			for _, m := range v.members {
				if m.key == key {
					return jsonValue{}, fmt.Errorf("duplicate key %q", key)
				}
			}
			val, err := readJSON(dec, depth+1)
			if err != nil {
				return jsonValue{}, err
			}
			v.members = append(v.members, jsonMember{key: key, val: val})
		}
		_, err := dec.Token() // '}'
		return v, err
	}
	return jsonValue{}, fmt.Errorf("unexpected token %v", tok)
}
