/** Detects whether a folder is a Hugo or a Jekyll site and reads its own configuration. */
import { existsSync, statSync } from 'node:fs';
import type { SiteGenerator } from '../../content/site.ts';
import { isHugoSite, readHugoConfig } from './hugo.ts';
import { isJekyllSite, readJekyllConfig } from './jekyll.ts';
import { SiteConfigError, type SiteConfigRead } from './types.ts';

export function readSiteConfig(root: string, generator?: SiteGenerator): SiteConfigRead {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new SiteConfigError(root, 'folder does not exist');
  const kind = generator ?? (isHugoSite(root) ? 'hugo' : isJekyllSite(root) ? 'jekyll' : undefined);
  if (kind === undefined) {
    throw new SiteConfigError(root, 'neither a Hugo site (hugo.toml, config.toml, config/_default/ …) nor a Jekyll site (_config.yml) was found here');
  }
  if (kind === 'hugo' && !isHugoSite(root)) throw new SiteConfigError(root, 'no Hugo configuration (hugo.toml, hugo.yaml, config.toml, config/_default/) found');
  if (kind === 'jekyll' && !isJekyllSite(root)) throw new SiteConfigError(root, 'no Jekyll configuration (_config.yml) found');
  return kind === 'hugo' ? readHugoConfig(root) : readJekyllConfig(root);
}
