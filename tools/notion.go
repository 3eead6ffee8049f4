package tools

import (
	"slices"
	"strings"
)

// Notion's Go-coded parts (catalog/notion.yaml): blocks and property values
// are typed unions (the value sits under a member named for the type), which
// the declarative format cannot flatten into readable values.
func init() {
	registerTransform("notion_blocks", func(doc any) any {
		eachResult(doc, notionBlock)
		return doc
	})
	registerTransform("notion_properties", func(doc any) any {
		if m, ok := doc.(map[string]any); ok && m["object"] == "list" {
			eachResult(m, notionPage)
			return m
		}
		if m, ok := doc.(map[string]any); ok {
			return notionPage(m)
		}
		return doc
	})
}

// eachResult replaces every object of a list response's results with f's.
func eachResult(doc any, f func(map[string]any) map[string]any) {
	list, _ := lookup(doc, "results").([]any)
	for i, item := range list {
		if m, ok := item.(map[string]any); ok {
			list[i] = f(m)
		}
	}
}

// notionFileTypes are the block types whose value is a file object.
var notionFileTypes = []string{"image", "video", "file", "pdf", "audio"}

// notionBlock is a block as {id, type, has_children, text} plus what its
// type adds: checked (to_do), language (code), cells (table_row), url
// (bookmarks, embeds, files), link_to (link_to_page), synced_from, and the
// ids of mentioned pages, databases and people. text joins the block's rich
// text as Notion shows it; mark ("[x] " for a checked to-do) is for the
// summary line only.
func notionBlock(b map[string]any) map[string]any {
	typ := scalarText(b["type"])
	v, _ := b[typ].(map[string]any)
	out := map[string]any{"id": b["id"], "type": b["type"], "has_children": b["has_children"]}
	var rich []any
	switch {
	case typ == "child_page" || typ == "child_database":
		out["text"] = scalarText(v["title"])
	case typ == "equation":
		out["text"] = scalarText(v["expression"])
	case typ == "table_row":
		cells, _ := v["cells"].([]any)
		texts := make([]any, len(cells))
		parts := make([]string, len(cells))
		for i, c := range cells {
			cell, _ := c.([]any)
			rich = append(rich, cell...)
			parts[i] = plainText(cell)
			texts[i] = parts[i]
		}
		out["cells"], out["text"] = texts, strings.Join(parts, " | ")
	case typ == "link_to_page":
		out["link_to"] = v[scalarText(v["type"])]
		out["text"] = ""
	case typ == "synced_block":
		out["synced_from"] = lookup(v, "synced_from.block_id")
		out["text"] = ""
	default:
		// Text blocks hold rich_text; bookmarks, embeds and files a caption.
		rich, _ = v["rich_text"].([]any)
		if caption, ok := v["caption"].([]any); ok && rich == nil {
			rich = caption
		}
		out["text"] = plainText(rich)
	}
	switch {
	case typ == "to_do":
		checked, _ := v["checked"].(bool)
		out["checked"], out["mark"] = checked, map[bool]string{true: "[x] ", false: "[ ] "}[checked]
	case typ == "code":
		out["language"] = v["language"]
	case typ == "bookmark" || typ == "embed" || typ == "link_preview":
		out["url"] = v["url"]
	case slices.Contains(notionFileTypes, typ):
		out["url"] = lookup(v, scalarText(v["type"])+".url")
	}
	if ids := notionMentions(rich); len(ids) > 0 {
		out["mentions"] = ids
	}
	return out
}

// plainText joins the plain_text of rich text objects as Notion displays
// them: runs side by side, with nothing between.
func plainText(rich []any) string {
	var b strings.Builder
	for _, r := range rich {
		b.WriteString(scalarText(lookup(r, "plain_text")))
	}
	return b.String()
}

// notionMentions returns {type, id} of each page, database or user that
// rich text mentions, whose ids plain text loses.
func notionMentions(rich []any) []any {
	var out []any
	for _, r := range rich {
		m, _ := lookup(r, "mention").(map[string]any)
		typ := scalarText(m["type"])
		if id := scalarText(lookup(m, typ+".id")); id != "" {
			out = append(out, map[string]any{"type": typ, "id": id})
		}
	}
	return out
}

// notionPage flattens a page's property values (see notionValue), adds
// title (its title property's text), and, for the summary, a line of
// "name: value" pairs sorted by name.
func notionPage(p map[string]any) map[string]any {
	props, ok := p["properties"].(map[string]any)
	if !ok {
		return p
	}
	flat := make(map[string]any, len(props))
	var pairs []string
	for _, name := range keys(props) {
		prop, _ := props[name].(map[string]any)
		v := notionValue(prop)
		flat[name] = v
		if prop["type"] == "title" {
			p["title"] = v
		}
		pairs = append(pairs, name+": "+notionValueText(v))
	}
	p["properties"], p["summary"] = flat, strings.Join(pairs, "; ")
	return p
}

// notionValue is a property value as a reader wants it: text for title and
// rich_text, the name of a select or status, the names of a multi_select,
// {start, end} of a date, people as {id, name}, relation ids, files as
// {name, url}, formulas and rollups as their result, and numbers,
// checkboxes, URLs, emails and phone numbers as they are.
func notionValue(prop map[string]any) any {
	typ := scalarText(prop["type"])
	v := prop[typ]
	switch typ {
	case "title", "rich_text":
		rich, _ := v.([]any)
		return plainText(rich)
	case "select", "status":
		return lookup(v, "name")
	case "multi_select":
		return collectField(v, "name")
	case "date":
		if v == nil {
			return nil
		}
		return map[string]any{"start": lookup(v, "start"), "end": lookup(v, "end")}
	case "people":
		list, _ := v.([]any)
		out := []any{}
		for _, item := range list {
			person := map[string]any{"id": lookup(item, "id")}
			if n := lookup(item, "name"); n != nil {
				person["name"] = n
			}
			out = append(out, person)
		}
		return out
	case "created_by", "last_edited_by":
		person := map[string]any{"id": lookup(v, "id")}
		if n := lookup(v, "name"); n != nil {
			person["name"] = n
		}
		return person
	case "relation":
		return collectField(v, "id")
	case "files":
		list, _ := v.([]any)
		out := []any{}
		for _, item := range list {
			out = append(out, map[string]any{"name": lookup(item, "name"), "url": lookup(item, scalarText(lookup(item, "type"))+".url")})
		}
		return out
	case "formula", "rollup":
		// The result is itself typed: {type: number, number: 3}.
		rt := scalarText(lookup(v, "type"))
		if rt != "array" {
			return notionValue(map[string]any{"type": rt, rt: lookup(v, rt)})
		}
		list, _ := lookup(v, "array").([]any)
		out := []any{}
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				out = append(out, notionValue(m))
			}
		}
		return out
	case "unique_id":
		if prefix := scalarText(lookup(v, "prefix")); prefix != "" {
			return prefix + "-" + scalarText(lookup(v, "number"))
		}
		return lookup(v, "number")
	case "verification":
		return lookup(v, "state")
	default: // number, checkbox, url, email, phone_number, created_time, last_edited_time, …
		return v
	}
}

// collectField returns the member name of each object of list v.
func collectField(v any, name string) []any {
	list, _ := v.([]any)
	out := []any{}
	for _, item := range list {
		out = append(out, lookup(item, name))
	}
	return out
}

// notionValueText renders a flattened value for the summary: lists joined
// with ", ", a date as start → end, a person by name (or id), nothing as
// "(empty)".
func notionValueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "(empty)"
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = notionValueText(item)
		}
		if len(parts) == 0 {
			return "(empty)"
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if start, ok := v["start"]; ok {
			if end := scalarText(v["end"]); end != "" {
				return scalarText(start) + " → " + end
			}
			return scalarText(start)
		}
		if n := scalarText(v["name"]); n != "" {
			return n
		}
		if u := scalarText(v["url"]); u != "" {
			return u
		}
		return scalarText(v["id"])
	case string:
		if v == "" {
			return "(empty)"
		}
		return v
	default:
		return scalarText(v)
	}
}
