package fakeupstream

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The content model of the fake Notion: seeding, the JSON of pages, blocks,
// databases and data sources (Notion-Version 2025-09-03), and the
// validation of what a request writes. Callers hold Notion.mu.

// seedLocked creates workspace name with the content NotionSeed describes.
// It goes through the same code as requests, so the seed is valid input.
func (n *Notion) seedLocked(name string) *ntWorkspace {
	s := &ntWorkspace{name: name}
	n.spaces[name] = s
	s.id, s.owner = n.idLocked(), n.idLocked()
	home := &ntPage{space: s, creator: s.owner, parent: map[string]any{"type": "workspace", "workspace": true}}
	ntMust(home.setProps(map[string]any{"title": map[string]any{"title": ntReqText("Home")}}))
	home.id = n.idLocked()
	home.created, home.edited = n.seq, n.seq
	n.pages[home.id] = home
	bold := map[string]any{"text": map[string]any{"content": name}, "annotations": map[string]any{"bold": true}}
	specs, e := ntBlockSpecs([]any{
		map[string]any{"heading_1": map[string]any{"rich_text": ntReqText("Welcome")}},
		map[string]any{"paragraph": map[string]any{"rich_text": append(ntReqText("This workspace belongs to "), bold)}},
		map[string]any{"to_do": map[string]any{"rich_text": ntReqText("Share pages with the integration"), "checked": false}},
		map[string]any{"toggle": map[string]any{"rich_text": ntReqText("Details"), "children": []any{
			map[string]any{"paragraph": map[string]any{"rich_text": ntReqText("Hidden details.")}},
		}}},
		map[string]any{"code": map[string]any{"rich_text": ntReqText(`fmt.Println("hello")`), "language": "go"}},
	}, "seed", 0)
	ntMust(e)
	home.content = n.addBlocks(s, s.owner, map[string]any{"type": "page_id", "page_id": home.id}, specs)
	toggle := n.blocks[home.content[3]]

	db := &ntDatabase{id: n.idLocked(), title: "Tasks", space: s, parent: map[string]any{"type": "page_id", "page_id": home.id}}
	db.created = n.seq
	n.dbs[db.id] = db
	home.content = append(home.content, db.id) // an inline database is a child_database block
	src := &ntSource{id: n.idLocked(), title: "Tasks", db: db, schema: []*ntProp{
		{id: "title", name: "Name", typ: "title"},
		{id: "s%3Ft", name: "Status", typ: "status", options: []string{"Not started", "In progress", "Done"}},
		{id: "d%40e", name: "Due", typ: "date"},
		{id: "t%5Bg", name: "Tags", typ: "multi_select", options: []string{"work", "home"}},
		{id: "p%3Bt", name: "Points", typ: "number"},
	}}
	src.created = n.seq
	db.sources = []*ntSource{src}
	n.sources[src.id] = src
	s.seed = NotionSeed{HomePageID: home.id, DatabaseID: db.id, DataSourceID: src.id,
		HomeBlockIDs: slices.Clone(home.content), ToggleChildID: toggle.content[0], OwnerID: s.owner}
	for _, t := range []struct {
		name, status string
		due          any
		tag          string
		points       float64
	}{
		{"Write report", "In progress", map[string]any{"start": "2024-02-01"}, "work", 3},
		{"Plan offsite", "Not started", map[string]any{"start": "2024-03-15"}, "work", 5},
		{"Pay invoices", "Done", nil, "home", 1},
	} {
		row := &ntPage{space: s, creator: s.owner, source: src,
			parent: map[string]any{"type": "data_source_id", "data_source_id": src.id, "database_id": db.id}}
		ntMust(row.setProps(map[string]any{
			"Name":   map[string]any{"title": ntReqText(t.name)},
			"Status": map[string]any{"status": map[string]any{"name": t.status}},
			"Due":    map[string]any{"date": t.due},
			"Tags":   map[string]any{"multi_select": []any{map[string]any{"name": t.tag}}},
			"Points": map[string]any{"number": t.points},
		}))
		row.id = n.idLocked()
		row.created, row.edited = n.seq, n.seq
		n.pages[row.id] = row
		s.seed.TaskIDs = append(s.seed.TaskIDs, row.id)
	}
	return s
}

func ntMust(e *ntError) {
	if e != nil {
		panic("fakeupstream: invalid Notion seed: " + e.message)
	}
}

// ntReqText is a rich text request array holding one text run.
func ntReqText(s string) []any {
	return []any{map[string]any{"type": "text", "text": map[string]any{"content": s}}}
}

func ntUser(id string) map[string]any { return map[string]any{"object": "user", "id": id} }

// ntURL is the notion.so URL of an object: its title's words, then its id
// without dashes.
func ntURL(title, id string) string {
	slug := strings.Join(strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}), "-")
	if slug != "" {
		slug += "-"
	}
	return "https://www.notion.so/" + slug + strings.ReplaceAll(id, "-", "")
}

func ntPlain(rt any) string {
	var b strings.Builder
	list, _ := rt.([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		s, _ := m["plain_text"].(string)
		b.WriteString(s)
	}
	return b.String()
}

// --- pages ---

func (p *ntPage) title() string {
	for _, v := range p.props {
		if m, _ := v.(map[string]any); m["type"] == "title" {
			return ntPlain(m["title"])
		}
	}
	return ""
}

func (p *ntPage) json() map[string]any {
	return map[string]any{
		"object": "page", "id": p.id, "created_time": ntTime(p.created), "last_edited_time": ntTime(p.edited),
		"created_by": ntUser(p.creator), "last_edited_by": ntUser(p.creator), "cover": nil, "icon": nil,
		"parent": p.parent, "archived": p.trashed, "in_trash": p.trashed, "is_locked": false,
		"properties": p.props, "url": ntURL(p.title(), p.id), "public_url": nil,
	}
}

// setProps checks the properties of a page request and stores them: for a
// data source row, keyed by the schema's names (unset ones empty); for any
// other page, the title only.
func (p *ntPage) setProps(props map[string]any) *ntError {
	p.props = map[string]any{}
	schema := []*ntProp{{id: "title", name: "title", typ: "title"}}
	if p.source != nil {
		schema = p.source.schema
	}
	for _, prop := range schema {
		p.props[prop.name] = map[string]any{"id": prop.id, "type": prop.typ, prop.typ: prop.empty()}
	}
	for key, raw := range props {
		var prop *ntProp
		for _, c := range schema {
			if c.name == key || c.id == key {
				prop = c
			}
		}
		if prop == nil {
			return ntInvalid("%s is not a property that exists.", key)
		}
		v, e := prop.value(raw, "body.properties."+key)
		if e != nil {
			return e
		}
		p.props[prop.name] = map[string]any{"id": prop.id, "type": prop.typ, prop.typ: v}
	}
	return nil
}

func (pr *ntProp) empty() any {
	switch pr.typ {
	case "title", "rich_text", "multi_select":
		return []any{}
	case "checkbox":
		return false
	}
	return nil
}

var ntDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)

// value checks a property value of a request and returns its response form.
func (pr *ntProp) value(raw any, path string) (any, *ntError) {
	m, _ := raw.(map[string]any)
	v, ok := m[pr.typ]
	if !ok {
		return nil, ntInvalid("%s is expected to be %s.", pr.name, pr.typ)
	}
	path += "." + pr.typ
	bad := func(want string) (any, *ntError) {
		return nil, ntInvalid("body failed validation: %s should be %s, instead was `%v`.", path, want, v)
	}
	switch pr.typ {
	case "title", "rich_text":
		return ntRichText(v, path)
	case "number":
		if _, ok := v.(float64); !ok && v != nil {
			return bad("a number or `null`")
		}
	case "checkbox":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "url", "email", "phone_number":
		if _, ok := v.(string); !ok && v != nil {
			return bad("a string or `null`")
		}
	case "date":
		d, _ := v.(map[string]any)
		if v == nil {
			return nil, nil
		}
		if start, _ := d["start"].(string); !ntDate.MatchString(start) {
			return bad("an object with an ISO 8601 start")
		}
		return map[string]any{"start": d["start"], "end": d["end"], "time_zone": d["time_zone"]}, nil
	case "select", "status":
		if v == nil {
			return nil, nil
		}
		return pr.option(v, path)
	case "multi_select":
		list, ok := v.([]any)
		if !ok {
			return bad("an array")
		}
		out := []any{}
		for i, item := range list {
			o, e := pr.option(item, fmt.Sprintf("%s[%d]", path, i))
			if e != nil {
				return nil, e
			}
			out = append(out, o)
		}
		return out, nil
	default:
		return nil, ntInvalid("%s has type %s, which this fake cannot write.", pr.name, pr.typ)
	}
	return v, nil
}

// option resolves {name} or {id} of a select, multi_select or status value.
// An unknown select name adds the option, as Notion does; an unknown status
// is an error.
func (pr *ntProp) option(v any, path string) (any, *ntError) {
	m, _ := v.(map[string]any)
	name, _ := m["name"].(string)
	id, _ := m["id"].(string)
	for i, o := range pr.options {
		if o == name || pr.optionID(i) == id {
			return map[string]any{"id": pr.optionID(i), "name": o, "color": "default"}, nil
		}
	}
	switch {
	case name == "":
		return nil, ntInvalid("body failed validation: %s should have a name or an existing id, instead was `%v`.", path, v)
	case pr.typ == "status":
		return nil, ntInvalid("Invalid status option. Status option %q does not exist for %s.", name, pr.name)
	}
	pr.options = append(pr.options, name)
	return map[string]any{"id": pr.optionID(len(pr.options) - 1), "name": name, "color": "default"}, nil
}

func (pr *ntProp) optionID(i int) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(pr.id, "%", ""), i)
}

// schema renders the property's configuration in a data source.
func (pr *ntProp) schema() map[string]any {
	cfg := map[string]any{}
	var opts []any
	for i, o := range pr.options {
		opts = append(opts, map[string]any{"id": pr.optionID(i), "name": o, "color": "default", "description": nil})
	}
	switch pr.typ {
	case "number":
		cfg["format"] = "number"
	case "select", "multi_select":
		cfg["options"] = opts
	case "status":
		cfg["options"] = opts
		var groups []any
		for g, name := range []string{"To-do", "In progress", "Complete"} {
			var ids []any
			for i := range pr.options {
				if last := len(pr.options) - 1; (g == 0 && i == 0) || (g == 1 && i > 0 && i < last) || (g == 2 && i == last && i > 0) {
					ids = append(ids, pr.optionID(i))
				}
			}
			groups = append(groups, map[string]any{"id": fmt.Sprintf("group-%d", g), "name": name, "color": "default", "option_ids": ids})
		}
		cfg["groups"] = groups
	}
	return map[string]any{"id": pr.id, "name": pr.name, "description": nil, "type": pr.typ, pr.typ: cfg}
}

// --- databases and data sources ---

func (db *ntDatabase) json() map[string]any {
	var sources []any
	for _, s := range db.sources {
		sources = append(sources, map[string]any{"id": s.id, "name": s.title})
	}
	rt, _ := ntRichText(ntReqText(db.title), "")
	return map[string]any{
		"object": "database", "id": db.id, "title": rt, "description": []any{}, "parent": db.parent,
		"is_inline": true, "in_trash": false, "archived": false, "is_locked": false,
		"created_time": ntTime(db.created), "last_edited_time": ntTime(db.created), "data_sources": sources,
		"icon": nil, "cover": nil, "url": ntURL("", db.id), "public_url": nil,
	}
}

func (s *ntSource) json() map[string]any {
	props := map[string]any{}
	for _, p := range s.schema {
		props[p.name] = p.schema()
	}
	rt, _ := ntRichText(ntReqText(s.title), "")
	owner := ntUser(s.db.space.owner)
	return map[string]any{
		"object": "data_source", "id": s.id, "created_time": ntTime(s.created), "last_edited_time": ntTime(s.created),
		"created_by": owner, "last_edited_by": owner, "title": rt, "description": []any{},
		"parent": map[string]any{"type": "database_id", "database_id": s.db.id}, "database_parent": s.db.parent,
		"is_inline": true, "archived": false, "in_trash": false, "properties": props, "icon": nil, "cover": nil,
		"url": ntURL("", s.id), "public_url": nil,
	}
}

// --- blocks ---

// ntBlockSpec is a checked block of a request: its type, its content in
// response form, and its children.
type ntBlockSpec struct {
	typ      string
	value    map[string]any
	children []ntBlockSpec
}

// ntParents are the block types that may have children, with their
// rich_text; ntLeaves those that may not.
var (
	ntParents = []string{"paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
		"numbered_list_item", "quote", "to_do", "toggle", "callout"}
	ntLeaves = []string{"code", "divider"}
)

// ntBlockSpecs checks the block objects of a request (at most 100, two
// levels of nesting below the first) and returns them in response form.
func ntBlockSpecs(v any, path string, depth int) ([]ntBlockSpec, *ntError) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, ntInvalid("body failed validation: %s should be an array, instead was `%v`.", path, v)
	case len(list) > 100:
		return nil, ntInvalid("body failed validation: %s.length should be ≤ `100`, instead was `%d`.", path, len(list))
	case depth > 2:
		return nil, ntInvalid("body failed validation: %s exceeds the two levels of nesting allowed in one request.", path)
	}
	var out []ntBlockSpec
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		m, _ := item.(map[string]any)
		typ, _ := m["type"].(string)
		if typ == "" {
			for k := range m {
				if slices.Contains(ntParents, k) || slices.Contains(ntLeaves, k) {
					typ = k
				}
			}
		}
		if !slices.Contains(ntParents, typ) && !slices.Contains(ntLeaves, typ) {
			return nil, ntInvalid("body failed validation: %s should be a block object of a type this fake supports (%s), instead was `%v`.",
				at, strings.Join(append(slices.Clone(ntParents), ntLeaves...), ", "), item)
		}
		content, ok := m[typ].(map[string]any)
		if !ok {
			return nil, ntInvalid("body failed validation: %s.%s should be defined, instead was `undefined`.", at, typ)
		}
		spec := ntBlockSpec{typ: typ, value: map[string]any{}}
		if typ != "divider" {
			rt, e := ntRichText(content["rich_text"], at+"."+typ+".rich_text")
			if e != nil {
				return nil, e
			}
			spec.value["rich_text"] = rt
		}
		switch typ {
		case "divider":
		case "code":
			lang, _ := content["language"].(string)
			if lang == "" {
				lang = "plain text"
			}
			spec.value["language"], spec.value["caption"] = lang, []any{}
		default:
			spec.value["color"] = "default"
		}
		switch typ {
		case "to_do":
			checked, _ := content["checked"].(bool)
			spec.value["checked"] = checked
		case "heading_1", "heading_2", "heading_3":
			spec.value["is_toggleable"] = false
		case "callout":
			spec.value["icon"] = nil
		}
		if kids, ok := content["children"]; ok {
			if !slices.Contains(ntParents, typ) {
				return nil, ntInvalid("body failed validation: %s.%s.children is not allowed on a %s block.", at, typ, typ)
			}
			var e *ntError
			if spec.children, e = ntBlockSpecs(kids, at+"."+typ+".children", depth+1); e != nil {
				return nil, e
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

// addBlocks creates specs (and their children) under parent and returns the
// new top-level ids.
func (n *Notion) addBlocks(s *ntWorkspace, creator string, parent map[string]any, specs []ntBlockSpec) []string {
	var ids []string
	for _, spec := range specs {
		b := &ntBlock{id: n.idLocked(), space: s, parent: parent, typ: spec.typ, value: spec.value, creator: creator}
		b.created = n.seq
		n.blocks[b.id] = b
		b.content = n.addBlocks(s, creator, map[string]any{"type": "block_id", "block_id": b.id}, spec.children)
		ids = append(ids, b.id)
	}
	return ids
}

// blockJSON renders a child of a page or block: a block, or a sub-page or
// an inline database as the child_page or child_database block Notion shows.
func (n *Notion) blockJSON(id string) map[string]any {
	out := map[string]any{"object": "block", "id": id, "archived": false, "in_trash": false}
	var typ string
	var value map[string]any
	var created int
	var creator string
	switch {
	case n.blocks[id] != nil:
		b := n.blocks[id]
		typ, value, created, creator = b.typ, b.value, b.created, b.creator
		out["parent"], out["has_children"] = b.parent, len(b.content) > 0
	case n.pages[id] != nil:
		p := n.pages[id]
		typ, value, created, creator = "child_page", map[string]any{"title": p.title()}, p.created, p.creator
		out["parent"], out["has_children"] = p.parent, len(p.content) > 0
	default:
		db := n.dbs[id]
		typ, value, created, creator = "child_database", map[string]any{"title": db.title}, db.created, db.space.owner
		out["parent"], out["has_children"] = db.parent, false
	}
	out["type"], out[typ] = typ, value
	out["created_time"], out["last_edited_time"] = ntTime(created), ntTime(created)
	out["created_by"], out["last_edited_by"] = ntUser(creator), ntUser(creator)
	return out
}

// ntRichText checks a rich text request array (text runs of at most 2000
// characters) and returns its response form.
func ntRichText(v any, path string) ([]any, *ntError) {
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, ntInvalid("body failed validation: %s should be an array, instead was `%v`.", path, v)
	case len(list) > 100:
		return nil, ntInvalid("body failed validation: %s.length should be ≤ `100`, instead was `%d`.", path, len(list))
	}
	out := []any{}
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		m, _ := item.(map[string]any)
		if t, ok := m["type"]; ok && t != "text" {
			return nil, ntInvalid("body failed validation: %s.type should be `\"text\"` in this fake, instead was `%v`.", at, t)
		}
		text, _ := m["text"].(map[string]any)
		content, ok := text["content"].(string)
		if !ok {
			return nil, ntInvalid("body failed validation: %s.text.content should be defined, instead was `undefined`.", at)
		}
		if n := len([]rune(content)); n > 2000 {
			return nil, ntInvalid("body failed validation: %s.text.content.length should be ≤ `2000`, instead was `%d`.", at, n)
		}
		ann := map[string]any{"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}
		given, _ := m["annotations"].(map[string]any)
		for k := range ann {
			if v, ok := given[k]; ok {
				ann[k] = v
			}
		}
		var link, href any
		if l, ok := text["link"].(map[string]any); ok {
			link, href = map[string]any{"url": l["url"]}, l["url"]
		}
		out = append(out, map[string]any{"type": "text", "text": map[string]any{"content": content, "link": link},
			"annotations": ann, "plain_text": content, "href": href})
	}
	return out, nil
}
