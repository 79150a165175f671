/**
 * A generated Hugo site for the scan benchmark: `count` articles, half in Chinese and half in
 * English, a third of them page bundles (index.md with an image beside it), bodies of 3 KB to
 * 30 KB (paragraphs, headings, lists, code, links), YAML and TOML front matter, tags and
 * categories, some drafts and some scheduled ahead. Deterministic for a given count.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ZH = [
  '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书，远超预期，彰显了欧洲在AI基础设施建设方面的强烈决心。',
  '这些工厂将提供大规模计算和数据存储能力，用于训练和部署下一代人工智能模型，同时推动芯片与能源产业链协同发展。',
  '分析人士指出，算力主权正在成为地缘政治竞争的新焦点，各国纷纷出台政策吸引数据中心投资，并加强对先进芯片出口的管控。',
  '与此同时，开源模型社区持续壮大，研究者们在推理效率、量化压缩和多语言能力方面取得了显著进展。',
];
const EN = [
  'The European Commission received 76 expressions of interest from 16 member states for AI gigafactories, far more than expected.',
  'These factories would offer large-scale compute and storage to train and serve the next generation of models, pulling chips and energy along.',
  'Analysts say compute sovereignty has become a new front of geopolitical competition, with governments courting data centres and tightening export controls.',
  'Meanwhile the open-model community keeps growing, with real progress on inference efficiency, quantisation and multilingual ability.',
];
const TOPICS = ['算力与芯片', '安全与地缘政治', 'Open models', 'Policy', 'Energy', '数据中心'];

/** A small deterministic generator, so every run measures the same site. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function body(i: number, zh: boolean, bytes: number, r: () => number): string {
  const lines = zh ? ZH : EN;
  const out: string[] = [];
  let size = 0;
  let n = 0;
  while (size < bytes) {
    const kind = n % 9;
    let block: string;
    if (kind === 3) block = `## ${zh ? `第${n}节：产业动态` : `Section ${n}: what moved`}`;
    else if (kind === 5) block = [0, 1, 2].map((k) => `- ${lines[(n + k) % lines.length]?.slice(0, 40)} [${zh ? '链接' : 'link'}](https://example.com/${i}/${k})`).join('\n');
    else if (kind === 7) block = '```go\nfunc main() {\n\tfmt.Println("hello")\n}\n```';
    else block = Array.from({ length: 2 + Math.floor(r() * 3) }, (_, k) => lines[(n + k) % lines.length]).join(zh ? '' : ' ') + (kind === 1 ? ` **${zh ? '重点' : 'key'}** *${zh ? '强调' : 'note'}* \`code\`` : '');
    out.push(block);
    size += Buffer.byteLength(block) + 2;
    n++;
  }
  return out.join('\n\n');
}

export function generateHugoSite(root: string, count: number): void {
  mkdirSync(path.join(root, 'content/posts'), { recursive: true });
  writeFileSync(
    path.join(root, 'hugo.toml'),
    `baseURL = "https://news.example.com/"\nlanguageCode = "zh-CN"\ntitle = "基准测试新闻"\ntimeZone = "Asia/Shanghai"\n[taxonomies]\n  tag = "tags"\n  category = "categories"\n`,
  );
  const r = rng(count);
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const zh = i % 2 === 0;
    const bytes = 3000 + Math.floor(r() * 27_000);
    const date = new Date(start + i * 3_600_000 * 5).toISOString().replace('.000Z', '+08:00');
    const title = zh ? `欧洲AI千兆工厂热潮 第${i}篇：算力基础设施竞赛` : `Article ${i}: what changed in the compute race`;
    const tags = [TOPICS[i % TOPICS.length], TOPICS[(i * 7) % TOPICS.length]];
    const draft = i % 97 === 0;
    const future = i % 89 === 0;
    const when = future ? '2099-01-01T08:00:00+08:00' : date;
    const toml = i % 5 === 4;
    const front = toml
      ? `+++\ntitle = ${JSON.stringify(title)}\ndate = ${when}\ntags = ${JSON.stringify(tags)}\ncategories = ["${zh ? '新闻' : 'News'}"]\n${draft ? 'draft = true\n' : ''}+++`
      : `---\ntitle: ${JSON.stringify(title)}\ndate: ${when}\ntags: [${tags.join(', ')}]\ncategories: [${zh ? '新闻' : 'News'}]\nsummary: ${JSON.stringify((zh ? ZH : EN)[i % 4])}\n${draft ? 'draft: true\n' : ''}---`;
    const text = `${front}\n\n${body(i, zh, bytes, r)}\n`;
    const slug = `post-${String(i).padStart(5, '0')}`;
    if (i % 3 === 0) {
      const dir = path.join(root, 'content/posts', slug);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'index.md'), text);
      writeFileSync(path.join(dir, 'cover.jpg'), Buffer.alloc(64, 7));
    } else writeFileSync(path.join(root, 'content/posts', `${slug}.md`), text);
  }
}
