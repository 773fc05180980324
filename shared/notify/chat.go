package notify

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	texttemplate "text/template"
	tparse "text/template/parse"
)

// Chat messages are Slack mrkdwn, where "&", "<" and ">" are control characters:
// <!channel>, <!here>, <@U123>, <#C123> and <https://a|b> are mentions and links.
// Slack's "Formatting text for app surfaces" (section "Escaping text") asks for
// exactly these three to become &amp;, &lt; and &gt; wherever they are meant as text.
// The chat templates are parsed apart from the e-mail ones, and every action in them
// gets the escaping added to its pipeline (as html/template adds its escapers), so no
// value reaches the channel raw unless it is a link the system built.

// escapeAction names the function added at the end of every action's pipeline.
const escapeAction = "_mrkdwn"

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mrkdwnLink is a link the system built, already in mrkdwn: the one kind of value that
// the escaping lets through as it is.
type mrkdwnLink string

// link builds the mrkdwn link <url|label>. The label is escaped; the URL, one of the
// system's own, is escaped too and keeps no "|", which would end it early.
func link(url, label string) mrkdwnLink {
	return mrkdwnLink("<" + mrkdwnEscaper.Replace(strings.ReplaceAll(url, "|", "%7C")) + "|" + mrkdwnEscaper.Replace(label) + ">")
}

// escapeMrkdwn is what every action of a chat template ends with.
func escapeMrkdwn(v any) string {
	if l, ok := v.(mrkdwnLink); ok {
		return string(l)
	}
	return mrkdwnEscaper.Replace(fmt.Sprint(v))
}

var (
	chatOnce sync.Once
	chatT    *texttemplate.Template
	chatErr  error
)

// parseChat reads the chat templates on first use and makes every action escape.
func parseChat() error {
	chatOnce.Do(func() {
		chatT, chatErr = texttemplate.New("chat").
			Funcs(texttemplate.FuncMap{"link": link, escapeAction: escapeMrkdwn}).
			ParseFS(templateFiles, "templates/chat.tmpl")
		if chatErr != nil {
			return
		}
		for _, t := range chatT.Templates() {
			if t.Tree != nil {
				escapeActions(t.Tree.Root)
			}
		}
	})
	return chatErr
}

// escapeActions appends the escaping to the pipeline of every action that writes
// output under n. Actions that only declare or assign a variable write nothing.
func escapeActions(n tparse.Node) {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeActions(c)
		}
	case *tparse.ActionNode:
		if len(n.Pipe.Decl) == 0 {
			n.Pipe.Cmds = append(n.Pipe.Cmds, &tparse.CommandNode{
				NodeType: tparse.NodeCommand, Pos: n.Pos, Args: []tparse.Node{tparse.NewIdentifier(escapeAction).SetPos(n.Pos)},
			})
		}
	case *tparse.IfNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	case *tparse.RangeNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	case *tparse.WithNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	}
}

// renderChat renders the committee's chat message about an event.
func renderChat(v View) (Message, error) {
	if err := parseChat(); err != nil {
		return Message{}, err
	}
	var subject, text bytes.Buffer
	if err := chatT.ExecuteTemplate(&subject, KindChat+".subject", v); err != nil {
		return Message{}, err
	}
	if err := chatT.ExecuteTemplate(&text, KindChat+".text", v); err != nil {
		return Message{}, err
	}
	return Message{Subject: oneLine(subject.String()), Text: strings.TrimSpace(text.String()) + "\n"}, nil
}
