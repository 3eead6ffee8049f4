package fakeupstream

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The fake Notion's endpoints and data source queries. Handlers run with
// Notion.mu held.

func (n *Notion) usersMe(bot *ntBot, _ *http.Request, _ map[string]any) (any, *ntError) {
	owner := map[string]any{"type": "workspace", "workspace": true}
	if bot.OwnerName != "" || bot.OwnerEmail != "" {
		owner = map[string]any{"type": "user", "user": map[string]any{
			"object": "user", "id": bot.owner, "name": bot.OwnerName,
			"avatar_url": nil, "type": "person", "person": map[string]any{"email": bot.OwnerEmail},
		}}
	}
	return map[string]any{
		"object": "user", "id": bot.ID, "name": bot.Name, "avatar_url": nil, "type": "bot",
		"bot": map[string]any{
			"owner": owner, "workspace_id": bot.space.id, "workspace_name": bot.space.name,
			"workspace_limits": map[string]any{"max_file_upload_size_in_bytes": 5368709120},
		},
	}, nil
}

func (n *Notion) search(bot *ntBot, _ *http.Request, body map[string]any) (any, *ntError) {
	query, ok := body["query"].(string)
	if !ok && body["query"] != nil {
		return nil, ntInvalid("body failed validation: body.query should be a string, instead was `%v`.", body["query"])
	}
	want := ""
	if f, ok := body["filter"].(map[string]any); ok {
		if f["property"] != "object" {
			return nil, ntInvalid("body failed validation: body.filter.property should be `\"object\"`, instead was `%v`.", f["property"])
		}
		if want, _ = f["value"].(string); want != "page" && want != "data_source" {
			return nil, ntInvalid("body failed validation: body.filter.value should be `\"page\"` or `\"data_source\"`, instead was `%v`.", f["value"])
		}
	}
	ascending := false
	if s, ok := body["sort"].(map[string]any); ok {
		if s["timestamp"] != "last_edited_time" {
			return nil, ntInvalid("body failed validation: body.sort.timestamp should be `\"last_edited_time\"`, instead was `%v`.", s["timestamp"])
		}
		if d := s["direction"]; d != "ascending" && d != "descending" {
			return nil, ntInvalid("body failed validation: body.sort.direction should be `\"ascending\"` or `\"descending\"`, instead was `%v`.", d)
		}
		ascending = s["direction"] == "ascending"
	}
	type hit struct {
		id     string
		edited int
		json   func() map[string]any
	}
	var hits []hit
	q := strings.ToLower(query)
	for _, p := range n.pages {
		if p.space == bot.space && !p.trashed && want != "data_source" && strings.Contains(strings.ToLower(p.title()), q) {
			hits = append(hits, hit{p.id, p.edited, p.json})
		}
	}
	for _, s := range n.sources {
		if s.db.space == bot.space && want != "page" && strings.Contains(strings.ToLower(s.title), q) {
			hits = append(hits, hit{s.id, s.created, s.json})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if ascending {
			a, b = b, a
		}
		return cmp.Or(b.edited-a.edited, strings.Compare(b.id, a.id))
	})
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	from, to, next, e := ntWindow(ids, body["start_cursor"], body["page_size"], "body")
	if e != nil {
		return nil, e
	}
	results := []any{}
	for _, h := range hits[from:to] {
		results = append(results, h.json())
	}
	return ntList("page_or_data_source", results, next), nil
}

func (n *Notion) getPage(bot *ntBot, r *http.Request, _ map[string]any) (any, *ntError) {
	p, e := n.page(bot, r.PathValue("id"), "page_id")
	if e != nil {
		return nil, e
	}
	return p.json(), nil
}

func (n *Notion) getDatabase(bot *ntBot, r *http.Request, _ map[string]any) (any, *ntError) {
	id, e := ntID(r.PathValue("id"), "database_id")
	if e != nil {
		return nil, e
	}
	db := n.dbs[id]
	if db == nil || db.space != bot.space {
		return nil, ntNotFound("database", id, bot)
	}
	return db.json(), nil
}

func (n *Notion) getSource(bot *ntBot, r *http.Request, _ map[string]any) (any, *ntError) {
	s, e := n.source(bot, r.PathValue("id"), "data_source_id")
	if e != nil {
		return nil, e
	}
	return s.json(), nil
}

// container returns the block children list of a page or block id.
func (n *Notion) container(bot *ntBot, raw string) (*[]string, string, *ntError) {
	id, e := ntID(raw, "block_id")
	if e != nil {
		return nil, "", e
	}
	if p := n.pages[id]; p != nil && p.space == bot.space {
		return &p.content, "page_id", nil
	}
	if b := n.blocks[id]; b != nil && b.space == bot.space {
		return &b.content, "block_id", nil
	}
	return nil, "", ntNotFound("block", id, bot)
}

func (n *Notion) listChildren(bot *ntBot, r *http.Request, _ map[string]any) (any, *ntError) {
	content, _, e := n.container(bot, r.PathValue("id"))
	if e != nil {
		return nil, e
	}
	q := r.URL.Query()
	var cursor, size any
	if q.Has("start_cursor") {
		cursor = q.Get("start_cursor")
	}
	if q.Has("page_size") {
		i, err := strconv.Atoi(q.Get("page_size"))
		if err != nil {
			return nil, ntInvalid("query failed validation: query.page_size should be a number, instead was `%q`.", q.Get("page_size"))
		}
		size = float64(i)
	}
	from, to, next, e := ntWindow(*content, cursor, size, "query")
	if e != nil {
		return nil, e
	}
	results := []any{}
	for _, id := range (*content)[from:to] {
		results = append(results, n.blockJSON(id))
	}
	return ntList("block", results, next), nil
}

func (n *Notion) appendChildren(bot *ntBot, r *http.Request, body map[string]any) (any, *ntError) {
	content, parentType, e := n.container(bot, r.PathValue("id"))
	if e != nil {
		return nil, e
	}
	parentID, _ := ntID(r.PathValue("id"), "block_id")
	at := len(*content)
	if raw, ok := body["after"]; ok {
		s, _ := raw.(string)
		id, e := ntID(s, "after")
		if e != nil {
			return nil, ntInvalid("body failed validation: body.after should be a valid uuid, instead was `%v`.", raw)
		}
		if at = slices.Index(*content, id); at < 0 {
			return nil, ntInvalid("Block %s is not a child of %s, so nothing can be appended after it.", id, parentID)
		}
		at++
	}
	if body["children"] == nil {
		return nil, ntInvalid("body failed validation: body.children should be defined, instead was `undefined`.")
	}
	specs, e := ntBlockSpecs(body["children"], "body.children", 0)
	if e != nil {
		return nil, e
	}
	ids := n.addBlocks(bot.space, bot.ID, map[string]any{"type": parentType, parentType: parentID}, specs)
	*content = slices.Insert(*content, at, ids...)
	results := []any{}
	for _, id := range ids {
		results = append(results, n.blockJSON(id))
	}
	return ntList("block", results, nil), nil
}

func (n *Notion) createPage(bot *ntBot, _ *http.Request, body map[string]any) (any, *ntError) {
	parent, ok := body["parent"].(map[string]any)
	if !ok {
		return nil, ntInvalid("body failed validation: body.parent should be defined, instead was `undefined`.")
	}
	props, ok := body["properties"].(map[string]any)
	if !ok {
		return nil, ntInvalid("body failed validation: body.properties should be defined, instead was `undefined`.")
	}
	p := &ntPage{space: bot.space, creator: bot.ID, props: map[string]any{}}
	var under *ntPage
	switch {
	case parent["page_id"] != nil:
		var e *ntError
		if under, e = n.page(bot, fmt.Sprint(parent["page_id"]), "parent.page_id"); e != nil {
			return nil, e
		}
	case parent["data_source_id"] != nil:
		var e *ntError
		if p.source, e = n.source(bot, fmt.Sprint(parent["data_source_id"]), "parent.data_source_id"); e != nil {
			return nil, e
		}
	case parent["database_id"] != nil:
		id, e := ntID(fmt.Sprint(parent["database_id"]), "parent.database_id")
		if e != nil {
			return nil, e
		}
		db := n.dbs[id]
		if db == nil || db.space != bot.space {
			return nil, ntNotFound("database", id, bot)
		}
		if len(db.sources) != 1 {
			return nil, ntInvalid("Database %s has %d data sources; create the page with a data_source_id parent.", id, len(db.sources))
		}
		p.source = db.sources[0]
	case parent["workspace"] == true:
		if bot.OwnerName == "" && bot.OwnerEmail == "" {
			return nil, ntInvalid("Only public integrations can create pages at the top level of a workspace.")
		}
	default:
		return nil, ntInvalid("body failed validation: body.parent should have one of page_id, data_source_id, database_id or workspace, instead was `%v`.", parent)
	}
	if e := p.setProps(props); e != nil {
		return nil, e
	}
	specs, e := ntBlockSpecs(body["children"], "body.children", 0)
	if e != nil {
		return nil, e
	}
	p.id = n.idLocked()
	p.created, p.edited = n.seq, n.seq
	switch {
	case under != nil:
		p.parent = map[string]any{"type": "page_id", "page_id": under.id}
		under.content = append(under.content, p.id) // a sub-page is a child_page block of its parent
	case p.source != nil:
		p.parent = map[string]any{"type": "data_source_id", "data_source_id": p.source.id, "database_id": p.source.db.id}
	default:
		p.parent = map[string]any{"type": "workspace", "workspace": true}
	}
	n.pages[p.id] = p
	p.content = n.addBlocks(bot.space, bot.ID, map[string]any{"type": "page_id", "page_id": p.id}, specs)
	return p.json(), nil
}

func (n *Notion) querySource(bot *ntBot, r *http.Request, body map[string]any) (any, *ntError) {
	s, e := n.source(bot, r.PathValue("id"), "data_source_id")
	if e != nil {
		return nil, e
	}
	filter, _ := body["filter"].(map[string]any)
	if f, ok := body["filter"]; ok && filter == nil {
		return nil, ntInvalid("body failed validation: body.filter should be an object, instead was `%v`.", f)
	}
	if filter != nil {
		// Check the filter once on an empty row, so that a data source
		// without rows still refuses a bad filter.
		if _, e := ntMatch(s, &ntPage{props: map[string]any{}}, filter, "body.filter"); e != nil {
			return nil, e
		}
	}
	var rows []*ntPage
	for _, p := range n.pages {
		if p.source != s || p.trashed {
			continue
		}
		if filter != nil {
			if keep, _ := ntMatch(s, p, filter, "body.filter"); !keep {
				continue
			}
		}
		rows = append(rows, p)
	}
	less, e := ntSorter(s, body["sorts"])
	if e != nil {
		return nil, e
	}
	slices.SortStableFunc(rows, less)
	ids := make([]string, len(rows))
	for i, p := range rows {
		ids[i] = p.id
	}
	from, to, next, e := ntWindow(ids, body["start_cursor"], body["page_size"], "body")
	if e != nil {
		return nil, e
	}
	results := []any{}
	for _, p := range rows[from:to] {
		results = append(results, p.json())
	}
	return ntList("page_or_data_source", results, next), nil
}

// ntWindow returns the window [from, to) of ids that starts at cursor (an id)
// and holds at most size (default and maximum 100), and the next cursor.
func ntWindow(ids []string, cursor, size any, where string) (from, to int, next any, e *ntError) {
	n := 100
	if size != nil {
		f, ok := size.(float64)
		if !ok || f != float64(int(f)) || f < 1 || f > 100 {
			return 0, 0, nil, ntInvalid("%s failed validation: %s.page_size should be an integer from 1 to 100, instead was `%v`.", where, where, size)
		}
		n = int(f)
	}
	if cursor != nil {
		c, _ := cursor.(string)
		if from = slices.Index(ids, c); from < 0 {
			return 0, 0, nil, ntInvalid("%s failed validation: %s.start_cursor should be a cursor from a previous response, instead was `%v`.", where, where, cursor)
		}
	}
	to = min(from+n, len(ids))
	if to < len(ids) {
		next = ids[to]
	}
	return from, to, next, nil
}

func ntList(typ string, results []any, next any) map[string]any {
	return map[string]any{"object": "list", "results": results, "next_cursor": next, "has_more": next != nil,
		"type": typ, typ: map[string]any{}}
}

// ntKinds are the filter conditions Notion accepts per kind of property.
var ntKinds = map[string][]string{
	"text":         {"equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with", "is_empty", "is_not_empty"},
	"number":       {"equals", "does_not_equal", "greater_than", "less_than", "greater_than_or_equal_to", "less_than_or_equal_to", "is_empty", "is_not_empty"},
	"checkbox":     {"equals", "does_not_equal"},
	"select":       {"equals", "does_not_equal", "is_empty", "is_not_empty"},
	"multi_select": {"contains", "does_not_contain", "is_empty", "is_not_empty"},
	"date":         {"equals", "before", "after", "on_or_before", "on_or_after", "is_empty", "is_not_empty"},
}

func ntKind(typ string) string {
	switch typ {
	case "title", "rich_text", "url", "email", "phone_number":
		return "text"
	case "status":
		return "select"
	}
	return typ
}

// ntValue reduces a stored property value to what filters and sorts
// compare: a string, a float64, a bool, []string, or nil.
func ntValue(prop any) any {
	m, _ := prop.(map[string]any)
	typ, _ := m["type"].(string)
	switch v := m[typ].(type) {
	case []any:
		if typ != "multi_select" {
			return ntPlain(v)
		}
		var names []string
		for _, o := range v {
			names = append(names, fmt.Sprint(o.(map[string]any)["name"]))
		}
		return names
	case map[string]any:
		if typ == "date" {
			return v["start"]
		}
		return v["name"]
	default:
		return v
	}
}

// ntMatch reports whether row p of s passes filter f (compound and/or,
// timestamp or property filters).
func ntMatch(s *ntSource, p *ntPage, f map[string]any, path string) (bool, *ntError) {
	for _, op := range []string{"and", "or"} {
		raw, ok := f[op]
		if !ok {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return false, ntInvalid("body failed validation: %s.%s should be an array, instead was `%v`.", path, op, raw)
		}
		result := op == "and"
		for i, item := range list {
			m, _ := item.(map[string]any)
			ok, e := ntMatch(s, p, m, fmt.Sprintf("%s.%s[%d]", path, op, i))
			if e != nil {
				return false, e
			}
			if op == "and" {
				result = result && ok
			} else {
				result = result || ok
			}
		}
		return result, nil
	}
	if ts, ok := f["timestamp"]; ok {
		tick := p.created
		switch ts {
		case "last_edited_time":
			tick = p.edited
		case "created_time":
		default:
			return false, ntInvalid("body failed validation: %s.timestamp should be `\"created_time\"` or `\"last_edited_time\"`, instead was `%v`.", path, ts)
		}
		cond, _ := f[ts.(string)].(map[string]any)
		return ntCompare(ntTime(tick), cond, "date", fmt.Sprintf("%s.%s", path, ts))
	}
	name, _ := f["property"].(string)
	prop := s.prop(name)
	if prop == nil {
		return false, ntInvalid("Could not find property with name or id: %s", name)
	}
	key := prop.typ
	if _, ok := f["rich_text"]; ok && prop.typ == "title" {
		key = "rich_text"
	}
	cond, ok := f[key].(map[string]any)
	if !ok {
		return false, ntInvalid("body failed validation: %s.%s should be defined, instead was `undefined`: %s is a %s property.", path, key, prop.name, prop.typ)
	}
	return ntCompare(ntValue(p.props[prop.name]), cond, ntKind(prop.typ), path+"."+key)
}

// ntCompare applies the single condition of cond to have.
func ntCompare(have any, cond map[string]any, kind, path string) (bool, *ntError) {
	if len(cond) != 1 {
		return false, ntInvalid("body failed validation: %s should have exactly one condition, instead had %d.", path, len(cond))
	}
	var op string
	var want any
	for op, want = range cond {
	}
	if !slices.Contains(ntKinds[kind], op) {
		return false, ntInvalid("body failed validation: %s.%s is not a condition of a %s filter; use one of %s.", path, op, kind, strings.Join(ntKinds[kind], ", "))
	}
	empty := have == nil || have == "" || (kind == "multi_select" && len(have.([]string)) == 0)
	switch op {
	case "is_empty":
		return empty, nil
	case "is_not_empty":
		return !empty, nil
	case "contains", "does_not_contain":
		var in bool
		if names, ok := have.([]string); ok {
			in = slices.Contains(names, fmt.Sprint(want))
		} else {
			in = strings.Contains(strings.ToLower(fmt.Sprint(have)), strings.ToLower(fmt.Sprint(want)))
		}
		return in == (op == "contains"), nil
	case "starts_with":
		return strings.HasPrefix(fmt.Sprint(have), fmt.Sprint(want)), nil
	case "ends_with":
		return strings.HasSuffix(fmt.Sprint(have), fmt.Sprint(want)), nil
	}
	if empty {
		return op == "does_not_equal", nil
	}
	if kind == "date" {
		w := fmt.Sprint(want)
		have = fmt.Sprint(have)[:min(len(w), len(fmt.Sprint(have)))]
		want = w
	}
	c := ntOrder(have, want)
	switch op {
	case "equals":
		return c == 0, nil
	case "does_not_equal":
		return c != 0, nil
	case "greater_than", "after":
		return c > 0, nil
	case "less_than", "before":
		return c < 0, nil
	case "greater_than_or_equal_to", "on_or_after":
		return c >= 0, nil
	default: // less_than_or_equal_to, on_or_before
		return c <= 0, nil
	}
}

// ntOrder compares two values of the same kind; nil sorts last.
func ntOrder(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case float64:
		y, _ := b.(float64)
		return cmp.Compare(x, y)
	case bool:
		y, _ := b.(bool)
		return cmp.Compare(ntBit(x), ntBit(y))
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// ntSorter checks a query's sorts and returns the order of its rows:
// creation order when there are none.
func ntSorter(s *ntSource, raw any) (func(a, b *ntPage) int, *ntError) {
	type key struct {
		prop, timestamp string
		desc            bool
	}
	var keys []key
	if raw != nil {
		list, ok := raw.([]any)
		if !ok {
			return nil, ntInvalid("body failed validation: body.sorts should be an array, instead was `%v`.", raw)
		}
		for i, item := range list {
			m, _ := item.(map[string]any)
			k := key{desc: m["direction"] == "descending"}
			if d := m["direction"]; d != "ascending" && d != "descending" {
				return nil, ntInvalid("body failed validation: body.sorts[%d].direction should be `\"ascending\"` or `\"descending\"`, instead was `%v`.", i, d)
			}
			switch {
			case m["property"] != nil:
				prop := s.prop(fmt.Sprint(m["property"]))
				if prop == nil {
					return nil, ntInvalid("Could not find sort property with name or id: %v", m["property"])
				}
				k.prop = prop.name
			case m["timestamp"] == "created_time" || m["timestamp"] == "last_edited_time":
				k.timestamp = m["timestamp"].(string)
			default:
				return nil, ntInvalid("body failed validation: body.sorts[%d] should have a property or a timestamp (created_time, last_edited_time), instead was `%v`.", i, item)
			}
			keys = append(keys, k)
		}
	}
	return func(a, b *ntPage) int {
		for _, k := range keys {
			var c int
			switch {
			case k.timestamp == "created_time":
				c = a.created - b.created
			case k.timestamp == "last_edited_time":
				c = a.edited - b.edited
			default:
				va, vb := ntValue(a.props[k.prop]), ntValue(b.props[k.prop])
				if c = ntOrder(va, vb); k.desc && va != nil && vb != nil {
					c = -c
				}
				if c != 0 {
					return c
				}
				continue
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return a.created - b.created
	}, nil
}

func ntBit(b bool) int {
	if b {
		return 1
	}
	return 0
}
