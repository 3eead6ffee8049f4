package transport

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// peekDecoded is peek as it was before metaVersion: every member of _meta
// decoded by mcp.Meta. peek must read every body exactly as it does.
func peekDecoded(body []byte) message {
	var m struct {
		ID     any    `json:"id"`
		Method string `json:"method"`
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	if len(body) == 0 || json.Unmarshal(body, &m) != nil {
		return message{}
	}
	return message{id: m.ID, method: m.Method, metaVersion: m.Params.Meta.ProtocolVersion()}
}

// peekSeeds are bodies whose reading is easy to get wrong: duplicate and
// case-folded keys, escapes, nulls, _meta that is not an object, numbers
// no float64 holds, invalid UTF-8.
var peekSeeds = []string{
	``, `null`, `[]`, `"x"`, `{}`, `{`, `{"id":1}x`,
	`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}`,
	`{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"list_accounts","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"b","version":"1"}}}}`,
	`{"id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"_meta":{"x":1}}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"params":{}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"params":{"_meta":null}}`,
	`{"id":1,"params":{"_META":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	`{"ID":2,"Method":"x","id":3,"PARAMS":{"_meta":{"IO.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol\/protocolVersion":"2026\u002d07-28"}}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"a","io.modelcontextprotocol/protocolVersion":5}}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":null}}}`,
	`{"id":1,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":["2026-07-28"]}}}`,
	`{"id":1,"params":{"_meta":{"progressToken":1e999,"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	`{"id":1,"params":{"_meta":{"a":[1,{"b":-2.5e-3,"c":[true,false,null,"}\"]"]}],"io.modelcontextprotocol/protocolVersion" : "v\u00e9"}}}`,
	`{"id":1,"params":{"_meta":{"a":[1e400]}}}`, `{"id":1,"params":{"_meta":{"a":1e-400}}}`,
	`{"id":1e999,"method":"x"}`, `{"id":{"a":[1]},"method":"x"}`, `{"id":null,"method":null}`,
	`{"id":1,"method":5}`, `{"id":1,"params":[]}`, `{"id":1,"params":"x"}`, `{"id":1,"params":{"_meta":[]}}`,
	`{"id":1,"params":{"_meta":"x"}}`, `{"id":1,"params":{"_meta":true}}`, `{"id":1,"params":{"_meta":7}}`,
	"{\"id\":1,\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"\xff\xfe\"}}}",
	"{\"id\":1,\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\xff\":\"x\"}}}",
	" \r\n\t{ \"id\" : 1 , \"params\" : { \"_meta\" : { } } } ",
	`{"\u0069d":5,"METHOD":"x","paramſ":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	`{"id":[1,{"a":"b"}],"method":"a","method":null,"params":null}`,
	`{"id":"\ud800x","method":"\u00e9"}`, `{"id":-0.0}`, `{"id":"a\"b"}`, `{"id":true}`,
	`{"params":{"x":1e999,"_meta":{}},"other":[1e999]}`, `{"params":{"_meta":{}},"params":5}`,
}

func TestPeekReadsAsDecoding(t *testing.T) {
	for _, body := range peekSeeds {
		if got, want := peek([]byte(body)), peekDecoded([]byte(body)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", body, got, want)
		}
	}
}

// FuzzPeek checks peek against the decoding it replaced on any body.
func FuzzPeek(f *testing.F) {
	for _, s := range peekSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := peek(body), peekDecoded(body); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %#v\nwant %#v", body, got, want)
		}
	})
}
