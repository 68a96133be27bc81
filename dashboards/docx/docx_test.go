package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strings"
	"testing"
)

// Text returns the text of a document.xml, one line per paragraph, cells
// separated by tabs (an independent reading: encoding/xml over the part).
func Text(docXML []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(docXML))
	var b strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inText = t.Name.Local == "t"
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				b.WriteString("\n")
			case "tc":
				b.WriteString("\t")
			}
		case xml.CharData:
			if inText {
				b.Write(t)
			}
		}
	}
}

func TestDocument(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	img.Set(1, 1, color.Black)
	var pb bytes.Buffer
	png.Encode(&pb, img)
	d := New("青山县 <测试> & 附录")
	d.Heading("一、基本情况", 2)
	d.Paragraph("全县13个司法所共有人员26人，其中2人（含2人以上）所9个，1人所4个。<script>&")
	d.Table([]string{"项目", "数值"}, [][]string{{"在岗人员", "26"}, {"=HYPERLINK(\"x\")", "1"}, {"缺一格"}})
	if err := d.Image(pb.Bytes(), 15, "图1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Image([]byte("not a png"), 15, "x"); err == nil {
		t.Errorf("a non-PNG image was taken")
	}
	d.Caption("图1 学历")
	var out bytes.Buffer
	if err := d.Write(&out); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range z.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[f.Name] = b
		if strings.HasSuffix(f.Name, ".xml") || strings.HasSuffix(f.Name, ".rels") {
			dec := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s is not well-formed XML: %v", f.Name, err)
				}
			}
		}
	}
	for _, want := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml", "word/_rels/document.xml.rels", "word/media/image1.png", "docProps/core.xml"} {
		if parts[want] == nil {
			t.Errorf("part %s missing", want)
		}
	}
	text, err := Text(parts["word/document.xml"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"一、基本情况\n", "全县13个司法所共有人员26人，其中2人（含2人以上）所9个，1人所4个。<script>&\n", "在岗人员\n\t26\n\t", "=HYPERLINK(\"x\")", "图1 学历\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("document text lacks %q:\n%s", want, text)
		}
	}
	// every image relationship points at a part that is there, and it is the PNG
	for _, m := range regexp.MustCompile(`Target="(media/[^"]+)"`).FindAllStringSubmatch(string(parts["word/_rels/document.xml.rels"]), -1) {
		if _, err := png.Decode(bytes.NewReader(parts["word/"+m[1]])); err != nil {
			t.Errorf("%s: %v", m[1], err)
		}
	}
	if !strings.Contains(string(parts["docProps/core.xml"]), "青山县 &lt;测试&gt; &amp; 附录") {
		t.Errorf("title not escaped in core.xml")
	}
}
