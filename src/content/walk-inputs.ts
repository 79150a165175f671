/**
 * What a walk looked at besides the pages it found: every folder it listed and every other file
 * it read (a list page's cascade, a Jekyll file's first bytes). With the pages, all a scan's
 * result is made of on disk: a folder's modification time changes when an entry is added,
 * removed or renamed in it, a file's size or time when it is written (see ScanSnapshots).
 */
export interface WalkInputs {
  /** Absolute paths, in the order the walk listed them (also those it could not list). */
  folders: string[];
  /** Absolute paths of files read by the walk itself. */
  files: string[];
}
