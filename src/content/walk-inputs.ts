/**
 * What a walk looked at besides the pages it found: every folder it listed and every other file
 * it read (a list page's cascade, a Jekyll file's first bytes), each with what it was like just
 * before: a folder's modification time (it changes when an entry is added, removed or renamed in
 * it), a file's size and time. Taken before the listing or the read, so a change during the walk
 * shows as a difference later, never as a match (see ScanSnapshots in scan.ts).
 */
import { statSync } from 'node:fs';

export interface WalkInputs {
  /** Absolute paths, in the order the walk listed them (also those it could not list). */
  folders: string[];
  /** Each folder's modification time; null when it could not be read. */
  folderTimes: Array<number | null>;
  /** Absolute paths of files read (by the walk itself, then the pages). */
  files: string[];
  /** Each file's size and modification time; null when it could not be read. */
  fileSizes: Array<number | null>;
  fileTimes: Array<number | null>;
}

/** What a walk (walkHugo, walkJekyll) is asked for. */
export interface WalkOptions {
  /** Also list files that are not content at all as skipped. */
  all?: boolean;
  /** Filled with what the walk looked at (for a scan snapshot). */
  inputs?: WalkInputs;
  /** Told each time a page is found, with how many so far (scan.ts starts parse workers early). */
  found?: (count: number) => void;
}

export function newWalkInputs(): WalkInputs {
  return { folders: [], folderTimes: [], files: [], fileSizes: [], fileTimes: [] };
}

/** A folder's modification time now; null when it cannot be read (or is gone). */
export function folderTime(path: string): number | null {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? null;
}

/** Before listing a folder. */
export function noteFolder(inputs: WalkInputs | undefined, path: string): void {
  if (!inputs) return;
  inputs.folders.push(path);
  inputs.folderTimes.push(folderTime(path));
}

/** Before reading a file. */
export function noteFile(inputs: WalkInputs | undefined, path: string, info: { size: number; mtimeMs: number } | null = fileStat(path)): void {
  if (!inputs) return;
  inputs.files.push(path);
  inputs.fileSizes.push(info?.size ?? null);
  inputs.fileTimes.push(info?.mtimeMs ?? null);
}

/** A file's size and time, or why it cannot be read. */
export type FileInfo = { size: number; mtimeMs: number } | { error: unknown };

export function fileInfo(path: string): FileInfo {
  try {
    const info = statSync(path);
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    return { error };
  }
}

/** A file's size and modification time now; null when it cannot be read. */
export function fileStat(path: string): { size: number; mtimeMs: number } | null {
  const f = fileInfo(path);
  return 'error' in f ? null : f;
}
