/** Every platform's channel config schema; adding a platform adds its schema here. */
import { emailChannelSchema } from './email/email-config.ts';

export const channelSchemas = [emailChannelSchema] as const;
